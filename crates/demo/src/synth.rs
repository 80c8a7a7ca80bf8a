//! Synthetic articles for benchmarks: headlines and bodies assembled from word lists and sentence
//! templates of our own, with the same building blocks as the demo stories (lead, attributed
//! quotes, a quoted social post, an official statement, a subheading), so pages rendered from them
//! cost what real pages cost.

use std::fmt::Write as _;

use chrono::{DateTime, Duration, Utc};

use super::art::{self, Light, Scene};
use super::rng::Rng;
use super::{DemoError, DemoSummary, SVG, write_upload};
use newsdesk_core::domain::Slug;
use newsdesk_core::markdown;
use newsdesk_core::model::{ArticleStatus, Id, NewArticle, NewAuthor, NewPhoto, NewTag};
use newsdesk_core::store::Store;

struct Section {
    slug: &'static str,
    name: &'static str,
    objects: &'static [&'static str],
    subjects: &'static [&'static str],
}

const SECTIONS: &[Section] = &[
    Section {
        slug: "politics",
        name: "Politics",
        objects: &[
            "emergency budget",
            "ferry fare freeze",
            "housing bill",
            "schools funding formula",
            "electoral map",
            "public sector pay deal",
            "transparency rules",
        ],
        subjects: &[
            "the regional assembly",
            "the city council",
            "the finance committee",
            "the governing coalition",
            "opposition parties",
        ],
    },
    Section {
        slug: "world",
        name: "World",
        objects: &[
            "border crossing",
            "trade corridor",
            "fisheries treaty",
            "refugee reception plan",
            "customs union talks",
            "rail link agreement",
        ],
        subjects: &[
            "the Lorvanian government",
            "Estrane's foreign ministry",
            "a regional summit",
            "border officials",
            "mediators",
        ],
    },
    Section {
        slug: "business",
        name: "Business",
        objects: &[
            "grain export deal",
            "container terminal lease",
            "shipyard expansion",
            "tram manufacturing contract",
            "harbour dredging tender",
            "cold storage plant",
        ],
        subjects: &[
            "the harbour authority",
            "the chamber of commerce",
            "a logistics group",
            "the port workers' union",
            "a family-owned shipyard",
        ],
    },
    Section {
        slug: "science",
        name: "Science",
        objects: &[
            "seabed survey",
            "comet observation programme",
            "soil carbon study",
            "vaccine cold-chain trial",
            "river sediment map",
            "bird migration census",
        ],
        subjects: &[
            "researchers at the University of Kessling",
            "the coastal research institute",
            "a team of marine biologists",
            "the regional observatory",
            "volunteer scientists",
        ],
    },
    Section {
        slug: "climate",
        name: "Climate",
        objects: &[
            "flood defence plan",
            "water restrictions",
            "coastal wind project",
            "heat action plan",
            "tree planting scheme",
            "sea wall repairs",
        ],
        subjects: &[
            "the water board",
            "the coastguard",
            "the environment agency",
            "farmers' groups",
            "the harbour authority",
        ],
    },
    Section {
        slug: "culture",
        name: "Culture",
        objects: &[
            "theatre reopening",
            "light festival programme",
            "museum extension",
            "archive digitisation project",
            "public library hours",
            "film festival line-up",
        ],
        subjects: &[
            "the arts council",
            "a community trust",
            "festival organisers",
            "the city museum",
            "a group of local writers",
        ],
    },
    Section {
        slug: "sport",
        name: "Sport",
        objects: &[
            "stadium lease",
            "promotion push",
            "youth academy",
            "harbour regatta",
            "cycling stage",
            "new training ground",
        ],
        subjects: &[
            "the Port Averel Mariners",
            "Kessling Athletic",
            "the regional football league",
            "regatta organisers",
            "the cycling federation",
        ],
    },
];

/// Topic tags: (slug, name). Shared with the demo set where they overlap, so a corpus generated
/// on top of the demo links up with it.
const TOPICS: &[(&str, &str)] = &[
    ("port-averel", "Port Averel"),
    ("kessling", "Kessling"),
    ("ondry", "Ondry"),
    ("river-tamsel", "River Tamsel"),
    ("vellmark-assembly", "Vellmark Assembly"),
    ("shipping", "Shipping"),
    ("energy", "Energy"),
    ("transport", "Transport"),
    ("housing", "Housing"),
    ("storms", "Storms"),
    ("research", "Research"),
    ("football", "Football"),
];

const AUTHORS: &[(&str, &str, &str)] = &[
    (
        "ines-calder",
        "Ines Calder",
        "Ines Calder covers the regional assembly and city hall. She previously reported on courts for a wire service.",
    ),
    (
        "marek-doyle",
        "Marek Doyle",
        "Marek Doyle writes about ports, trade and the businesses along the River Tamsel.",
    ),
    (
        "yusra-pell",
        "Yusra Pell",
        "Yusra Pell reports on science, weather and the changing coastline.",
    ),
    (
        "oren-vasquez",
        "Oren Vasquez",
        "Oren Vasquez is a sports reporter who has followed the Mariners home and away for a decade.",
    ),
    (
        "liesl-arden",
        "Liesl Arden",
        "Liesl Arden covers culture, from the Lantern Theatre to the region's smallest festivals.",
    ),
];

const PLACES: &[&str] = &[
    "Port Averel",
    "Kessling",
    "Ondry",
    "Marlow Reach",
    "Tessany",
    "Halvard",
    "Cinder Bay",
    "Upper Tamsel",
    "Brisk Harbour",
    "Saltmere",
];
const FIRST: &[&str] = &[
    "Mira", "Jonas", "Alia", "Tobin", "Greta", "Samir", "Lotte", "Emil", "Noor", "Casimir",
    "Petra", "Idris", "Vera", "Anton", "Helka", "Ruben",
];
const LAST: &[&str] = &[
    "Castell",
    "Brandt",
    "Okafor",
    "Lindqvist",
    "Marrow",
    "Demir",
    "Halloran",
    "Sauer",
    "Teodor",
    "Vance",
    "Oyelaran",
    "Kest",
    "Amundsen",
    "Farrow",
    "Quill",
    "Ostrava",
];
const ROLES: &[&str] = &[
    "deputy mayor of {place}",
    "a spokesperson for {subject}",
    "a member of the regional assembly",
    "chair of the {place} residents' association",
    "an economist at the University of Kessling",
    "regional secretary of the port workers' union",
    "who runs a bakery near the harbour",
    "head of the {place} chamber of commerce",
];
const SOCIAL: &[&str] = &[
    "in a post on X",
    "on her Telegram channel",
    "on his Telegram channel",
    "in a Facebook post",
    "in a video posted on Instagram",
];
const VERBS: &[(&str, &str)] = &[
    ("approves", "approved"),
    ("delays", "delayed"),
    ("rejects", "rejected"),
    ("unveils", "unveiled"),
    ("expands", "expanded"),
    ("suspends", "suspended"),
    ("reviews", "reviewed"),
    ("backs", "backed"),
    ("questions", "questioned"),
    ("funds", "funded"),
];
const WEEKDAYS: &[&str] = &[
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: &[&str] = &[
    "January",
    "March",
    "April",
    "June",
    "September",
    "October",
    "November",
    "December",
];
const COMPLAINTS: &[&str] = &[
    "rising rents",
    "unreliable ferries",
    "flooded cellars",
    "empty shopfronts",
    "slow permits",
    "crowded schools",
    "late trains",
    "noise from the quays",
];

const SENTENCES: &[&str] = &[
    "The decision follows months of debate over the {object} in {place}, where residents have long complained about {complaint}.",
    "Officials said the first phase would cost about {money} and take {n} months to complete.",
    "Critics argue that {subject} has moved too quickly and consulted too few people.",
    "Supporters counter that further delay would only raise costs.",
    "Figures published on {weekday} showed a rise of {pct} percent compared with the same period last year.",
    "The plan now goes to a committee, which is expected to report by {month}.",
    "Similar measures were tried in {place2} {n} years ago, with mixed results.",
    "Local businesses said they had not been told when work would begin.",
    "A spokesperson for {subject} declined to comment on the timetable.",
    "Turnout at the public meeting was the highest in a decade, organisers said.",
    "The announcement came shortly after {hour} o'clock on {weekday}.",
    "Independent analysts said the long-term effects were difficult to predict.",
    "Opposition members called for a full review before any money is spent.",
    "The measure passed by {votes} votes to {votes2}.",
    "Workers at the site were told of the changes at a meeting on {weekday} morning.",
    "{place} has grown by almost a fifth since {year}, straining roads, schools and the harbour.",
    "The last comparable project, finished in {year}, ran {pct} percent over budget.",
    "Some residents welcomed the news, while others said it came too late.",
    "The agency said it would publish a fuller assessment in the coming weeks.",
    "In {place2}, officials are watching closely and have asked for a copy of the study.",
    "A petition opposing the {object} has gathered more than {thousands} signatures.",
    "Previous attempts to settle the question collapsed over who would pay.",
    "The regional government has set aside {money} for the next two years.",
    "Engineers warned that the ageing infrastructure could not wait much longer.",
    "Several people at the meeting asked why the documents had not been published earlier.",
    "Talks are due to resume next {weekday}, according to people familiar with them.",
    "The figures do not include the {place2} district, which reports separately.",
    "A report commissioned last {month} found that {pct} percent of households were affected.",
    "Residents of {place} were invited to a second meeting on {weekday} evening at the town hall.",
    "The {object} was first proposed in {year} but shelved after a change of government.",
    "Union representatives said they would study the details before taking a position.",
    "Traffic on the main road into {place} was slowed for most of the morning.",
    "A smaller version of the plan was rejected by the same body last {month}.",
    "Documents seen by newsdesk suggest the estimate has risen twice since the spring.",
    "Officials in {place2} said they had not been consulted.",
    "The next vote on the {object} is expected before the end of {month}.",
    "Some {thousands} people live within a kilometre of the site.",
    "Observers said the tone of the debate had been unusually sharp.",
    "The proposal includes a review clause after {n} years.",
    "Campaigners gathered outside the building from early on {weekday}, holding handmade signs.",
    "A legal challenge has not been ruled out, according to lawyers for one of the groups.",
    "The regional statistics office will publish updated figures in {month}.",
    "Neither side would say how long the talks were expected to last.",
    "Shopkeepers on the high street said trade had already fallen by about {pct} percent.",
];

const QUOTES: &[&str] = &[
    "We have listened, and now we are acting.",
    "This is not the end of the matter, and everyone in this room knows it.",
    "People deserve to know where their money goes.",
    "We will not accept a plan that leaves the most exposed streets unprotected.",
    "The work starts now, not next year.",
    "Nobody voted for this, and nobody was asked.",
    "It is a good day for {place}, and a long time coming.",
    "We need answers, not slogans.",
    "The numbers are clear. The question is whether we have the courage to follow them.",
    "I have lived here for forty years and I have never seen anything like it.",
    "We will keep pushing until the last family is back home.",
    "This is exactly the kind of decision that should be taken in the open.",
];

const SUBHEADS: &[&str] = &[
    "What happens next",
    "A long-running dispute",
    "The cost",
    "Reaction in {place}",
    "Questions remain",
    "Behind the numbers",
];
const LEAD_SCENES: &[(Scene, Light, &str)] = &[
    (
        Scene::Harbour,
        Light::Day,
        "Cranes and container stacks on a harbour quay, a ship at anchor",
    ),
    (
        Scene::Skyline,
        Light::Dusk,
        "A city skyline at dusk with lit windows above a river",
    ),
    (
        Scene::Parliament,
        Light::Day,
        "A domed assembly building with columns and flags",
    ),
    (
        Scene::Hills,
        Light::Dawn,
        "Rolling green hills and fields at dawn",
    ),
    (Scene::Chart, Light::Day, "A bar chart with a rising line"),
    (
        Scene::RiverPort,
        Light::Day,
        "Grain barges moored beside riverside warehouses",
    ),
    (
        Scene::Stadium,
        Light::Night,
        "A floodlit football pitch at night",
    ),
    (Scene::WindFarm, Light::Day, "Wind turbines on green hills"),
];

/// Per-article facts the templates draw on.
struct Ctx {
    place: &'static str,
    place2: &'static str,
    subject: &'static str,
    object: &'static str,
    /// The day the news broke, the same in standfirst and lead.
    day: &'static str,
}

fn fill(template: &str, ctx: &Ctx, rng: &mut Rng) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let key = &rest[start + 1..start + len];
        match key {
            "place" => out.push_str(ctx.place),
            "place2" => out.push_str(ctx.place2),
            "subject" => out.push_str(ctx.subject),
            "object" => out.push_str(ctx.object),
            "day" => out.push_str(ctx.day),
            "complaint" => out.push_str(rng.pick(COMPLAINTS)),
            "weekday" => out.push_str(rng.pick(WEEKDAYS)),
            "month" => out.push_str(rng.pick(MONTHS)),
            "money" => {
                let _ = write!(
                    out,
                    "{}.{} million marks",
                    rng.range(1, 90),
                    rng.range(1, 9)
                );
            }
            "n" => {
                let _ = write!(out, "{}", rng.range(3, 18));
            }
            "pct" => {
                let _ = write!(out, "{}", rng.range(4, 38));
            }
            "hour" => {
                let _ = write!(out, "{}", rng.range(7, 11));
            }
            "votes" => {
                let _ = write!(out, "{}", rng.range(31, 44));
            }
            "votes2" => {
                let _ = write!(out, "{}", rng.range(12, 30));
            }
            "year" => {
                let _ = write!(out, "{}", rng.range(1998, 2019));
            }
            "thousands" => {
                let _ = write!(out, "{},{:03}", rng.range(2, 40), rng.range(0, 999));
            }
            other => {
                out.push('{');
                out.push_str(other);
                out.push('}');
            }
        }
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    out
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn person(rng: &mut Rng) -> String {
    format!("{} {}", rng.pick(FIRST), rng.pick(LAST))
}

pub(crate) struct Synthetic {
    pub headline: String,
    pub standfirst: String,
    pub body_markdown: String,
    pub section: usize,
    pub topics: Vec<usize>,
}

/// One synthetic article, a pure function of `(seed, index)`.
pub(crate) fn article(seed: u64, index: u64) -> Synthetic {
    let mut rng = Rng::for_item(seed, index);
    let section_i = rng.below(SECTIONS.len() as u64) as usize;
    let section = &SECTIONS[section_i];
    let place = rng.pick(PLACES);
    let mut place2 = rng.pick(PLACES);
    if place2 == place {
        place2 = "the neighbouring districts";
    }
    let ctx = Ctx {
        place,
        place2,
        subject: rng.pick(section.subjects),
        object: rng.pick(section.objects),
        day: rng.pick(WEEKDAYS),
    };
    let (verb, verb_past) = rng.pick(VERBS);
    let headline = match rng.below(3) {
        0 => format!(
            "{}: {} {verb} {}",
            place,
            ctx.subject.strip_prefix("the ").unwrap_or(ctx.subject),
            ctx.object
        ),
        1 => format!(
            "{} {verb} {} in {}",
            capitalise(ctx.subject),
            ctx.object,
            place
        ),
        _ => format!(
            "{} {} after {} talks",
            capitalise(ctx.object),
            if rng.chance(50) {
                "stalls"
            } else {
                "moves ahead"
            },
            place
        ),
    };
    let standfirst = fill(
        &format!(
            "{} {verb_past} the {{object}} on {{day}}, a step that will shape life in {{place}} for years.",
            capitalise(ctx.subject)
        ),
        &ctx,
        &mut rng,
    );

    let target = rng.range(400, 800) as usize;
    let mut body = String::with_capacity(target * 7);
    let mut words = 0usize;
    let push_para = |body: &mut String, words: &mut usize, text: &str| {
        *words += text.split_whitespace().count();
        body.push_str(text);
        body.push_str("\n\n");
    };
    let lead = fill(
        &format!(
            "{} — {} {verb_past} the {{object}} on {{day}}, ending weeks of uncertainty over {{complaint}} and the future of the plan.",
            place.to_uppercase(),
            capitalise(ctx.subject)
        ),
        &ctx,
        &mut rng,
    );
    push_para(&mut body, &mut words, &lead);
    let mut para = 1;
    let mut quoted_social = false;
    let mut subhead_done = false;
    // Sentences are dealt from a shuffled deck so an article does not repeat itself.
    let mut deck: Vec<usize> = (0..SENTENCES.len()).collect();
    for i in (1..deck.len()).rev() {
        deck.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let mut dealt = 0usize;
    while words < target {
        match para {
            2 => {
                let quote = format!(
                    "{} {}",
                    fill(rng.pick(QUOTES), &ctx, &mut rng),
                    fill(rng.pick(QUOTES), &ctx, &mut rng)
                );
                let who = person(&mut rng);
                let role = fill(rng.pick(ROLES), &ctx, &mut rng);
                push_para(
                    &mut body,
                    &mut words,
                    &format!("> {quote}\n>\n> — {who}, {role}"),
                );
            }
            4 if !quoted_social => {
                quoted_social = true;
                let who = person(&mut rng);
                let quote = fill(rng.pick(QUOTES), &ctx, &mut rng);
                push_para(
                    &mut body,
                    &mut words,
                    &format!("> {quote}\n>\n> — {who}, {}", rng.pick(SOCIAL)),
                );
            }
            5 => {
                let statement = fill(
                    "In a statement, {subject} said it \"remains committed to the {object}\" and would \"set out the next steps in the coming days\".",
                    &ctx,
                    &mut rng,
                );
                push_para(&mut body, &mut words, &statement);
            }
            _ if !subhead_done && words > target / 2 => {
                subhead_done = true;
                let h = fill(rng.pick(SUBHEADS), &ctx, &mut rng);
                push_para(&mut body, &mut words, &format!("## {h}"));
            }
            _ => {
                let n = rng.range(3, 5);
                let mut p = String::new();
                for k in 0..n {
                    if k > 0 {
                        p.push(' ');
                    }
                    let template = SENTENCES[deck[dealt % deck.len()]];
                    dealt += 1;
                    p.push_str(&fill(template, &ctx, &mut rng));
                }
                push_para(&mut body, &mut words, &p);
            }
        }
        para += 1;
    }
    let mut topics = Vec::new();
    for _ in 0..rng.range(1, 3) {
        let t = rng.below(TOPICS.len() as u64) as usize;
        if !topics.contains(&t) {
            topics.push(t);
        }
    }
    Synthetic {
        headline,
        standfirst,
        body_markdown: body,
        section: section_i,
        topics,
    }
}

async fn ensure_tag(
    store: &dyn Store,
    slug: &str,
    name: &str,
    created: &mut usize,
) -> Result<Id, DemoError> {
    let slug = Slug::parse(slug).map_err(|e| DemoError::Content {
        file: "synth".into(),
        message: e.to_string(),
    })?;
    if let Some(t) = store.tag_by_slug(&slug).await? {
        return Ok(t.id);
    }
    *created += 1;
    Ok(store
        .create_tag(&NewTag {
            slug,
            name: name.into(),
            description: format!("News about {name}."),
        })
        .await?
        .id)
}

pub(crate) async fn generate(
    store: &dyn Store,
    media: &newsdesk_media::MediaStore,
    n: usize,
    seed: u64,
    now: DateTime<Utc>,
) -> Result<DemoSummary, DemoError> {
    let mut summary = DemoSummary::default();
    let mut section_ids = Vec::with_capacity(SECTIONS.len());
    for s in SECTIONS {
        section_ids.push(ensure_tag(store, s.slug, s.name, &mut summary.tags).await?);
    }
    let mut topic_ids = Vec::with_capacity(TOPICS.len());
    for (slug, name) in TOPICS {
        topic_ids.push(ensure_tag(store, slug, name, &mut summary.tags).await?);
    }
    let mut author_ids = Vec::with_capacity(AUTHORS.len());
    for (slug, name, bio) in AUTHORS {
        let slug = Slug::parse(slug).map_err(|e| DemoError::Content {
            file: "synth".into(),
            message: e.to_string(),
        })?;
        let id = match store.author_by_slug(&slug).await? {
            Some(a) => a.id,
            None => {
                summary.authors += 1;
                store
                    .create_author(&NewAuthor {
                        slug,
                        name: (*name).into(),
                        bio: (*bio).into(),
                        photo_id: None,
                        links: vec![],
                    })
                    .await?
                    .id
            }
        };
        author_ids.push(id);
    }
    let mut photo_ids = Vec::with_capacity(LEAD_SCENES.len());
    for (i, (scene, light, alt)) in LEAD_SCENES.iter().enumerate() {
        let file = format!("generated/{seed:x}-{i}.svg");
        write_upload(
            media,
            &file,
            &art::draw(*scene, *light, seed.wrapping_add(i as u64)),
        )
        .await?;
        let (width, height) = scene.size();
        let photo = store
            .create_photo(&NewPhoto {
                file,
                content_type: SVG.into(),
                alt: (*alt).into(),
                caption: "An illustrative picture for a generated article.".into(),
                credit: "Generated / newsdesk".into(),
                width,
                height,
            })
            .await?;
        photo_ids.push(photo.id);
        summary.photos += 1;
    }

    // Three years back, to the second, so pages of the corpus span a realistic archive.
    let span = 3 * 365 * 24 * 3600;
    // Rendering is pure CPU and the store has one writer: render a batch on all cores, then
    // insert it, so the two kinds of work overlap across batches on a multi-core machine.
    const BATCH: usize = 256;
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, 8);
    let mut index = 0usize;
    while index < n {
        let end = (index + BATCH).min(n);
        let rendered = render_batch(seed, index..end, threads);
        for (i, (syn, html)) in (index..end).zip(rendered) {
            let mut rng = Rng::for_item(seed ^ 0x5EED, i as u64);
            let base = Slug::from_title(&syn.headline)
                .map_or_else(|_| "story".to_owned(), |s| s.as_str().to_owned());
            let base = base.get(..60).unwrap_or(&base).trim_end_matches('-');
            let slug =
                Slug::parse(&format!("{base}-{seed:x}-{i}")).map_err(|e| DemoError::Content {
                    file: "synth".into(),
                    message: e.to_string(),
                })?;
            let mut tag_ids = vec![section_ids[syn.section]];
            tag_ids.extend(syn.topics.iter().map(|&t| topic_ids[t]));
            let author = author_ids[rng.below(author_ids.len() as u64) as usize];
            let lead_photo_id = if rng.chance(85) {
                Some(rng.pick(&photo_ids))
            } else {
                None
            };
            let published_at = now - Duration::seconds(rng.range(60, span));
            store
                .create_article(&NewArticle {
                    slug,
                    headline: syn.headline,
                    standfirst: syn.standfirst,
                    body_markdown: syn.body_markdown,
                    body_html: html,
                    status: ArticleStatus::Published,
                    published_at: Some(published_at),
                    canonical_url: None,
                    source: None,
                    author_ids: vec![author],
                    lead_photo_id,
                    section_id: Some(section_ids[syn.section]),
                    tag_ids,
                    important: rng.chance(5),
                })
                .await?;
            summary.articles += 1;
        }
        index = end;
    }
    Ok(summary)
}

fn render_batch(
    seed: u64,
    range: std::ops::Range<usize>,
    threads: usize,
) -> Vec<(Synthetic, String)> {
    let make = |i: usize| {
        let syn = article(seed, i as u64);
        let html = markdown::render(&syn.body_markdown);
        (syn, html)
    };
    let len = range.len();
    if threads <= 1 || len < 16 {
        return range.map(make).collect();
    }
    let chunk = len.div_ceil(threads);
    let start = range.start;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let lo = start + t * chunk;
                let hi = (lo + chunk).min(range.end);
                s.spawn(move || (lo..hi).map(make).collect::<Vec<_>>())
            })
            .collect();
        // A panicking renderer is a bug; fall back to rendering that chunk on this thread.
        handles
            .into_iter()
            .enumerate()
            .flat_map(|(t, h)| {
                h.join().unwrap_or_else(|_| {
                    let lo = start + t * chunk;
                    (lo..(lo + chunk).min(range.end)).map(make).collect()
                })
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_articles_are_deterministic_and_varied() {
        let a = article(7, 1);
        let b = article(7, 1);
        assert_eq!(a.headline, b.headline);
        assert_eq!(a.body_markdown, b.body_markdown);
        let headlines: std::collections::HashSet<String> =
            (0..200).map(|i| article(7, i).headline).collect();
        assert!(
            headlines.len() > 150,
            "only {} distinct headlines",
            headlines.len()
        );
    }

    #[test]
    fn synthetic_bodies_are_400_to_800_words_with_quotes() {
        for i in 0..100 {
            let a = article(42, i);
            let words = markdown::plain_text(&a.body_markdown)
                .split_whitespace()
                .count();
            assert!(
                (380..=900).contains(&words),
                "article {i} has {words} words"
            );
            assert!(
                !a.body_markdown.contains('{'),
                "unfilled slot in {}",
                a.body_markdown
            );
            let html = markdown::render(&a.body_markdown);
            assert!(html.contains("<figure class=\"quote"), "article {i}");
            assert!(Slug::from_title(&a.headline).is_ok());
        }
    }

    #[test]
    fn batches_render_in_order_whatever_the_thread_count() {
        let one = render_batch(3, 10..60, 1);
        let many = render_batch(3, 10..60, 3);
        assert_eq!(one.len(), 50);
        for (x, y) in one.iter().zip(&many) {
            assert_eq!(x.0.headline, y.0.headline);
            assert_eq!(x.1, y.1);
        }
    }
}
