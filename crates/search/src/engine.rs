//! The tantivy implementation of [`Search`]: opening (and rebuilding when missing, of another
//! version or unreadable), writing with the change sequence in the commit payload, and the
//! queries: search in two tiers (every word, then some words), spelling correction, suggestions and
//! more-like-this.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use chrono::{DateTime, Utc};
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term};

use crate::collect::{Found, MatchCollector, Matches, PageCollector, PageSpec, Position};
use crate::query::{self, Clause, ClauseKind};
use crate::schema::{self, Fields, KEY_SEP, LANGS, Lang};
use crate::snippet;
use crate::{
    DocStatus, Hit, MAX_LIMIT, Named, QueryError, Scope, Search, SearchDoc, SearchError,
    SearchPage, SearchRequest, Sort, Suggestion, SuggestionKind,
};

const VERSION_FILE: &str = "newsdesk-search.version";
/// Field weights: a word in the headline counts three times one in the body.
const HEADLINE_BOOST: f32 = 3.0;
const NAMES_BOOST: f32 = 2.0;
const TEXT_BOOST: f32 = 1.0;
/// Fewer exact matches than this and misspellings are looked for.
const FEW: usize = 3;
const SNIPPET_CHARS: usize = 200;
/// Related articles: how many distinctive terms describe an article, and the bonus for sharing its
/// section.
const MLT_TERMS: usize = 25;
const SAME_SECTION_BONUS: f32 = 1.25;
const SUGGEST_PREFIX_TERMS: usize = 24;

#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Indexing memory shared by the writer threads (tantivy needs at least 15 MB per thread).
    pub writer_memory_bytes: usize,
    pub writer_threads: usize,
    /// A search stops scoring after this long and answers with the best found (`partial`).
    pub query_budget: Duration,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            writer_memory_bytes: 64 << 20,
            writer_threads: 1,
            query_budget: Duration::from_millis(250),
        }
    }
}

/// How [`TantivySearch::open`] found the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// An index of this version: fill it from its `applied_seq` on.
    Existing,
    /// A new, empty index (why: missing, another version, unreadable): fill it from the start.
    Created { reason: String },
}

pub struct TantivySearch {
    dir: PathBuf,
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    f: Fields,
    /// Languages with documents in the index; queries visit only their fields.
    langs: RwLock<Vec<Lang>>,
    budget: Duration,
}

impl std::fmt::Debug for TantivySearch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TantivySearch")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// Where a page left off: which tier, its sort, the last item's position, the reference time the
/// keys were computed with, and whether spelling corrections were in force.
#[derive(Debug, Clone, Copy, PartialEq)]
struct PageCursor {
    relaxed: bool,
    sort: Sort,
    pos: Position,
    now_micros: i64,
    corrected: bool,
}

impl PageCursor {
    fn encode(&self) -> String {
        let raw = format!(
            "1.{}.{}.{:x}.{}.{}.{}",
            u8::from(self.relaxed),
            self.sort.as_str(),
            self.pos.key.to_bits(),
            self.pos.id,
            self.now_micros,
            u8::from(self.corrected)
        );
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    }

    fn decode(token: &str) -> Option<PageCursor> {
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.as_bytes())
            .ok()?;
        let raw = String::from_utf8(raw).ok()?;
        let parts: Vec<&str> = raw.split('.').collect();
        let [v, relaxed, sort, key, id, now, corrected] = parts.as_slice() else {
            return None;
        };
        if *v != "1" {
            return None;
        }
        let flag = |s: &str| match s {
            "0" => Some(false),
            "1" => Some(true),
            _ => None,
        };
        Some(PageCursor {
            relaxed: flag(relaxed)?,
            sort: Sort::parse(sort)?,
            pos: Position {
                key: f64::from_bits(u64::from_str_radix(key, 16).ok()?),
                id: id.parse().ok()?,
            },
            now_micros: now.parse().ok()?,
            corrected: flag(corrected)?,
        })
    }
}

/// A query's parts: what must match (one entry per word or phrase), what must not.
struct Plan {
    positives: Vec<Box<dyn Query>>,
    negatives: Vec<Box<dyn Query>>,
}

impl Plan {
    fn exact(&self, filters: &[Box<dyn Query>]) -> BooleanQuery {
        let mut subs: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        subs.extend(self.positives.iter().map(|q| (Occur::Must, q.box_clone())));
        subs.extend(filters.iter().map(|q| (Occur::Must, q.box_clone())));
        BooleanQuery::new(subs)
    }

    /// Any excluded word or phrase.
    fn excluded(&self) -> Option<BooleanQuery> {
        (!self.negatives.is_empty()).then(|| {
            BooleanQuery::new(
                self.negatives
                    .iter()
                    .map(|q| (Occur::Should, q.box_clone()))
                    .collect(),
            )
        })
    }

    /// Any of the words (the exact tier's matches are excluded when collecting).
    fn relaxed(&self, filters: &[Box<dyn Query>]) -> Option<BooleanQuery> {
        if self.positives.len() < 2 {
            return None;
        }
        let any = BooleanQuery::new(
            self.positives
                .iter()
                .map(|q| (Occur::Should, q.box_clone()))
                .collect(),
        );
        let mut subs: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(any))];
        subs.extend(filters.iter().map(|q| (Occur::Must, q.box_clone())));
        Some(BooleanQuery::new(subs))
    }

    /// Every positive part, for highlighting.
    fn highlight(&self) -> BooleanQuery {
        BooleanQuery::new(
            self.positives
                .iter()
                .map(|q| (Occur::Should, q.box_clone()))
                .collect(),
        )
    }
}

fn const_zero(q: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(q, 0.0))
}

fn any_of(field: Field, values: impl IntoIterator<Item = String>) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(
        values
            .into_iter()
            .map(|v| {
                let q: Box<dyn Query> = Box::new(TermQuery::new(
                    Term::from_field_text(field, &v),
                    IndexRecordOption::Basic,
                ));
                (Occur::Should, q)
            })
            .collect(),
    ))
}

fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

fn tdate(t: DateTime<Utc>) -> tantivy::DateTime {
    tantivy::DateTime::from_timestamp_micros(t.timestamp_micros())
}

/// Runs `f`, turning a panic inside tantivy (a damaged segment) into an error instead of taking the
/// process down.
fn guarded<T>(f: impl FnOnce() -> Result<T, SearchError>) -> Result<T, SearchError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => Err(SearchError::Index(tantivy::TantivyError::InternalError(
            "the search index is damaged (a query panicked); rebuild it with `newsdesk reindex`"
                .into(),
        ))),
    }
}

impl TantivySearch {
    /// Opens the index in `dir`, creating it (and the directory) when it is missing, of another
    /// version or unreadable. Only a lock held by another process is an error.
    pub fn open(dir: &Path, opts: &OpenOptions) -> Result<(TantivySearch, Opened), SearchError> {
        std::fs::create_dir_all(dir)?;
        let f = Fields::build();
        let version = std::fs::read_to_string(dir.join(VERSION_FILE)).unwrap_or_default();
        let mut reason = if !dir.join("meta.json").exists() {
            Some("no index yet".to_string())
        } else if version.trim() != schema::SCHEMA_VERSION {
            Some(format!("index of another version ({:?})", version.trim()))
        } else {
            None
        };
        let mut opened = None;
        if reason.is_none() {
            match Self::open_existing(dir, &f) {
                Ok(pair) => opened = Some(pair),
                Err(e) => reason = Some(format!("unreadable index: {e}")),
            }
        }
        let (index, reader) = match opened {
            Some(pair) => pair,
            None => {
                if let Some(r) = &reason {
                    tracing::warn!(dir = %dir.display(), reason = %r, "creating a new search index");
                }
                Self::wipe(dir)?;
                let index = Index::create_in_dir(dir, f.schema.clone())?;
                schema::register(index.tokenizers());
                std::fs::write(dir.join(VERSION_FILE), schema::SCHEMA_VERSION)?;
                let reader = index
                    .reader_builder()
                    .reload_policy(ReloadPolicy::Manual)
                    .try_into()?;
                (index, reader)
            }
        };
        let writer = index
            .writer_with_num_threads(
                opts.writer_threads.max(1),
                opts.writer_memory_bytes
                    .max(opts.writer_threads.max(1) * 16_000_000),
            )
            .map_err(|e| match e {
                tantivy::TantivyError::LockFailure(..) => SearchError::Locked(e.to_string()),
                e => SearchError::Index(e),
            })?;
        let search = TantivySearch {
            dir: dir.to_path_buf(),
            index,
            reader,
            writer: Mutex::new(writer),
            f,
            langs: RwLock::new(Vec::new()),
            budget: opts.query_budget,
        };
        search.refresh_langs();
        let opened = match reason {
            None => Opened::Existing,
            Some(reason) => Opened::Created { reason },
        };
        Ok((search, opened))
    }

    fn open_existing(dir: &Path, f: &Fields) -> Result<(Index, IndexReader), SearchError> {
        guarded(|| {
            let index = Index::open_in_dir(dir)?;
            if index.schema() != f.schema {
                return Err(SearchError::Index(tantivy::TantivyError::SchemaError(
                    "schema differs".into(),
                )));
            }
            schema::register(index.tokenizers());
            let reader: IndexReader = index
                .reader_builder()
                .reload_policy(ReloadPolicy::Manual)
                .try_into()?;
            // Touch every segment's fast fields and dictionaries so damage shows now, not later.
            let searcher = reader.searcher();
            for seg in searcher.segment_readers() {
                seg.fast_fields().u64("id")?;
                seg.inverted_index(f.lang)?;
            }
            index.load_metas()?;
            Ok((index, reader))
        })
    }

    /// Empties `dir` of index files (only what tantivy and we put there).
    fn wipe(dir: &Path) -> Result<(), SearchError> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                std::fs::remove_dir_all(&path)?;
            } else {
                std::fs::remove_file(&path)?;
            }
        }
        Ok(())
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Bytes the index takes on disk.
    pub fn size_on_disk(&self) -> u64 {
        fn walk(p: &Path) -> u64 {
            std::fs::read_dir(p)
                .map(|rd| {
                    rd.flatten()
                        .map(|e| match e.metadata() {
                            Ok(m) if m.is_dir() => walk(&e.path()),
                            Ok(m) => m.len(),
                            Err(_) => 0,
                        })
                        .sum()
                })
                .unwrap_or(0)
        }
        walk(&self.dir)
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, IndexWriter> {
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds documents without committing (bulk loading); [`TantivySearch::commit`] makes them
    /// visible.
    pub fn add(&self, docs: &[SearchDoc]) -> Result<(), SearchError> {
        let w = self.writer();
        for d in docs {
            w.delete_term(Term::from_field_u64(self.f.id, d.id));
            w.add_document(self.to_doc(d))?;
        }
        Ok(())
    }

    /// Removes every document (before a rebuild); visible at the next commit.
    pub fn clear(&self) -> Result<(), SearchError> {
        self.writer().delete_all_documents()?;
        Ok(())
    }

    /// Commits what was added, records `seq` (when given) and reloads the searcher.
    pub fn commit(&self, seq: Option<i64>) -> Result<(), SearchError> {
        {
            let mut w = self.writer();
            let mut prepared = w.prepare_commit()?;
            let seq = match seq {
                Some(s) => Some(s),
                None => self.applied_seq()?,
            };
            if let Some(seq) = seq {
                prepared.set_payload(&serde_json::json!({ "seq": seq }).to_string());
            }
            prepared.commit()?;
        }
        self.reader.reload()?;
        self.refresh_langs();
        Ok(())
    }

    /// Waits for background segment merges (after a bulk load, before measuring its size).
    pub fn wait_merging(self) -> Result<(), SearchError> {
        let writer = self.writer.into_inner().unwrap_or_else(|e| e.into_inner());
        writer.wait_merging_threads()?;
        Ok(())
    }

    fn refresh_langs(&self) {
        let searcher = self.reader.searcher();
        let mut present = HashSet::new();
        for seg in searcher.segment_readers() {
            let Ok(inv) = seg.inverted_index(self.f.lang) else {
                continue;
            };
            let Ok(mut stream) = inv.terms().stream() else {
                continue;
            };
            while stream.advance() {
                if let Ok(code) = std::str::from_utf8(stream.key()) {
                    present.insert(Lang::from_code(code));
                }
            }
        }
        let langs: Vec<Lang> = LANGS.into_iter().filter(|l| present.contains(l)).collect();
        *self.langs.write().unwrap_or_else(|e| e.into_inner()) = langs;
    }

    fn langs(&self) -> Vec<Lang> {
        self.langs.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn to_doc(&self, d: &SearchDoc) -> TantivyDocument {
        let f = &self.f;
        let lang = Lang::from_code(&d.language);
        let mut doc = TantivyDocument::new();
        doc.add_u64(f.id, d.id);
        doc.add_text(f.slug, &d.slug);
        doc.add_u64(f.status, d.status.code());
        doc.add_text(f.lang, lang.code());
        doc.add_text(f.headline, &d.headline);
        doc.add_text(f.standfirst, &d.standfirst);
        doc.add_text(f.body, &d.body);
        doc.add_text(f.headline_l[lang.index()], &d.headline);
        doc.add_text(f.text_l[lang.index()], &d.standfirst);
        doc.add_text(f.text_l[lang.index()], &d.body);
        doc.add_text(f.headline_plain, &d.headline);
        for text in [&d.headline, &d.standfirst, &d.body] {
            doc.add_text(f.spell, text);
        }
        let mut names: Vec<&str> = Vec::new();
        if let Some(s) = &d.section {
            doc.add_text(f.section, &s.slug);
            doc.add_text(f.section_name, &s.name);
            names.push(&s.name);
        }
        let mut tag_keys = HashSet::new();
        for t in d.tags.iter().chain(d.section.iter()) {
            doc.add_text(f.tag, &t.slug);
            names.push(&t.name);
            for key in name_keys(&t.name) {
                tag_keys.insert(format!("{key}{KEY_SEP}{}{KEY_SEP}{}", t.name, t.slug));
            }
        }
        for k in tag_keys {
            doc.add_text(f.tag_key, k);
        }
        for a in &d.authors {
            doc.add_text(f.author, &a.slug);
            names.push(&a.name);
        }
        if let Some(agency) = &d.agency {
            doc.add_text(f.agency, schema::fold(agency));
            doc.add_text(f.agency_name, agency);
            names.push(agency);
        }
        let mut person_keys = HashSet::new();
        for p in &d.people {
            doc.add_text(f.people, p);
            names.push(p);
            for key in name_keys(p) {
                person_keys.insert(format!("{key}{KEY_SEP}{p}"));
            }
        }
        for k in person_keys {
            doc.add_text(f.person_key, k);
        }
        for n in names {
            doc.add_text(f.names, n);
            doc.add_text(f.spell, n);
        }
        if let Some(p) = d.published_at {
            doc.add_date(f.published, tdate(p));
        }
        doc.add_date(f.updated, tdate(d.updated_at));
        if let Some(c) = d.cluster {
            doc.add_u64(f.cluster, c);
        }
        doc
    }

    /// The word or phrase as queries on one field, analysed as that field is; `None` when the
    /// analyser leaves nothing (a stop word).
    fn field_query(
        &self,
        field: Field,
        analyzer: &TextAnalyzer,
        text: &str,
    ) -> Option<Box<dyn Query>> {
        let mut a = analyzer.clone();
        let mut stream = a.token_stream(text);
        let mut terms: Vec<(usize, Term)> = Vec::new();
        while let Some(t) = stream.next() {
            terms.push((t.position, Term::from_field_text(field, &t.text)));
        }
        match terms.len() {
            0 => None,
            1 => terms.pop().map(|(_, term)| {
                Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)) as Box<dyn Query>
            }),
            _ => {
                let first = terms[0].0;
                let terms = terms.into_iter().map(|(p, t)| (p - first, t)).collect();
                Some(Box::new(PhraseQuery::new_with_offset(terms)))
            }
        }
    }

    /// A word or phrase across the headline, the text (of each language present) and the names.
    fn clause_query(
        &self,
        text: &str,
        langs: &[Lang],
        analyzers: &Analyzers,
    ) -> Option<Box<dyn Query>> {
        let mut subs: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for &l in langs {
            let a = &analyzers.lang[l.index()];
            for (field, boost) in [
                (self.f.headline_l[l.index()], HEADLINE_BOOST),
                (self.f.text_l[l.index()], TEXT_BOOST),
            ] {
                if let Some(q) = self.field_query(field, a, text) {
                    subs.push((Occur::Should, Box::new(BoostQuery::new(q, boost))));
                }
            }
        }
        // A stop word in every language present is not looked for among names either.
        if subs.is_empty() {
            return None;
        }
        if let Some(q) = self.field_query(self.f.names, &analyzers.names, text) {
            subs.push((Occur::Should, Box::new(BoostQuery::new(q, NAMES_BOOST))));
        }
        if subs.is_empty() {
            None
        } else {
            Some(Box::new(BooleanQuery::new(subs)))
        }
    }

    fn plan(
        &self,
        clauses: &[Clause],
        corrections: &HashMap<String, String>,
    ) -> Result<Plan, SearchError> {
        let mut langs = self.langs();
        if langs.is_empty() {
            langs.push(Lang::Other);
        }
        let analyzers = Analyzers::new();
        let mut plan = Plan {
            positives: Vec::new(),
            negatives: Vec::new(),
        };
        for c in clauses {
            let text = match c.kind {
                ClauseKind::Word => query::searchable_word(&c.text),
                ClauseKind::Phrase => c.text.as_str(),
            };
            let q = match (c.negated, corrections.get(&c.text)) {
                (false, Some(fixed)) => {
                    let both: Vec<(Occur, Box<dyn Query>)> = [text, fixed.as_str()]
                        .into_iter()
                        .filter_map(|t| self.clause_query(t, &langs, &analyzers))
                        .map(|q| (Occur::Should, q))
                        .collect();
                    (!both.is_empty()).then(|| Box::new(BooleanQuery::new(both)) as Box<dyn Query>)
                }
                _ => self.clause_query(text, &langs, &analyzers),
            };
            if let Some(q) = q {
                if c.negated {
                    plan.negatives.push(q);
                } else {
                    plan.positives.push(q);
                }
            }
        }
        if plan.positives.is_empty() {
            return Err(QueryError::OnlyCommonWords.into());
        }
        Ok(plan)
    }

    fn filter_queries(&self, req: &SearchRequest) -> Vec<Box<dyn Query>> {
        let f = &self.f;
        let mut out = Vec::new();
        let term = |field: Field, v: &str| -> Box<dyn Query> {
            const_zero(Box::new(TermQuery::new(
                Term::from_field_text(field, v),
                IndexRecordOption::Basic,
            )))
        };
        if let Some(s) = &req.filters.section {
            out.push(term(f.section, s));
        }
        if let Some(a) = &req.filters.author {
            out.push(term(f.author, a));
        }
        if let Some(a) = &req.filters.agency {
            out.push(term(f.agency, &schema::fold(a)));
        }
        if let Scope::Newsroom {
            authors: Some(authors),
        } = &req.scope
        {
            out.push(const_zero(any_of(f.author, authors.iter().cloned())));
        }
        out
    }

    fn matches(
        &self,
        searcher: &Searcher,
        query: Option<BooleanQuery>,
    ) -> Result<Option<Arc<Matches>>, SearchError> {
        let Some(query) = query else { return Ok(None) };
        guarded(|| Ok(Some(Arc::new(searcher.search(&query, &MatchCollector)?))))
    }

    fn run(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        spec: PageSpec,
    ) -> Result<crate::collect::Fruit, SearchError> {
        guarded(|| Ok(searcher.search(query, &PageCollector { spec })?))
    }

    /// Misspelt words (5+ letters, all but absent from the index) and the likeliest word within
    /// one edit (two from 8 letters) that many more articles use.
    fn corrections(
        &self,
        searcher: &Searcher,
        clauses: &[Clause],
    ) -> Result<HashMap<String, String>, SearchError> {
        let mut out = HashMap::new();
        for c in clauses {
            if c.negated || c.kind != ClauseKind::Word {
                continue;
            }
            let word = schema::fold(&c.text);
            let len = word.chars().count();
            if len < 5 || word.contains(' ') || !word.chars().all(char::is_alphabetic) {
                continue;
            }
            let distance = if len >= 8 { 2 } else { 1 };
            let own = searcher.doc_freq(&Term::from_field_text(self.f.spell, &word))?;
            let mut candidates: HashMap<String, u64> = HashMap::new();
            for seg in searcher.segment_readers() {
                let automaton =
                    FuzzyTermQuery::new(Term::from_field_text(self.f.spell, &word), distance, true)
                        .automaton()?;
                let inv = seg.inverted_index(self.f.spell)?;
                let mut stream = inv.terms().search(automaton).into_stream()?;
                while stream.advance() {
                    if let Ok(t) = std::str::from_utf8(stream.key())
                        && t != word
                    {
                        *candidates.entry(t.to_string()).or_default() +=
                            u64::from(stream.value().doc_freq);
                    }
                }
            }
            let best = candidates
                .into_iter()
                .filter(|(_, df)| *df > own.saturating_mul(10))
                .map(|(t, df)| (edit_distance(&word, &t), std::cmp::Reverse(df), t))
                .min();
            if let Some((_, _, t)) = best {
                out.insert(c.text.clone(), t);
            }
        }
        Ok(out)
    }

    fn hit(
        &self,
        searcher: &Searcher,
        found: &Found,
        generators: &mut HashMap<Lang, Option<SnippetGenerator>>,
        highlight: Option<&dyn Query>,
    ) -> Result<Hit, SearchError> {
        let f = &self.f;
        let doc: TantivyDocument = searcher.doc(found.addr)?;
        let text = |field: Field| -> String {
            doc.get_first(field)
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        };
        let lang = Lang::from_code(&text(f.lang));
        let standfirst = text(f.standfirst);
        let body = text(f.body);
        let mut snippet_html = String::new();
        if let Some(q) = highlight {
            let generator = match generators.get(&lang) {
                Some(g) => g,
                None => {
                    let g = SnippetGenerator::create(searcher, q, f.text_l[lang.index()])
                        .ok()
                        .map(|mut g| {
                            g.set_max_num_chars(SNIPPET_CHARS);
                            g
                        });
                    generators.entry(lang).or_insert(g)
                }
            };
            if let Some(g) = generator {
                for t in [&body, &standfirst] {
                    let s = g.snippet(t);
                    if !s.highlighted().is_empty() {
                        snippet_html = snippet::to_html(&s, t.len());
                        break;
                    }
                }
            }
        }
        if snippet_html.is_empty() {
            let lead = if standfirst.trim().is_empty() {
                &body
            } else {
                &standfirst
            };
            snippet_html = snippet::lead_html(lead, SNIPPET_CHARS);
        }
        let section = doc
            .get_first(f.section)
            .and_then(|v| v.as_str())
            .map(|slug| Named {
                slug: slug.to_string(),
                name: text(f.section_name),
            });
        Ok(Hit {
            id: doc
                .get_first(f.id)
                .and_then(|v| v.as_u64())
                .unwrap_or(found.pos.id),
            slug: text(f.slug),
            headline: text(f.headline),
            status: DocStatus::from_code(
                doc.get_first(f.status)
                    .and_then(|v| v.as_u64())
                    .unwrap_or(0),
            ),
            section,
            published_at: doc
                .get_first(f.published)
                .and_then(|v| v.as_datetime())
                .and_then(|d| DateTime::from_timestamp_micros(d.into_timestamp_micros())),
            snippet_html,
            score: found.score,
        })
    }

    fn address_of(
        &self,
        searcher: &Searcher,
        id: u64,
    ) -> Result<Option<tantivy::DocAddress>, SearchError> {
        let q = TermQuery::new(
            Term::from_field_u64(self.f.id, id),
            IndexRecordOption::Basic,
        );
        let docs = searcher.search(&q, &tantivy::collector::DocSetCollector)?;
        Ok(docs.into_iter().next())
    }

    fn spec(&self, sort: Sort, limit: usize, scope: &Scope, now_micros: i64) -> PageSpec {
        PageSpec {
            sort,
            limit,
            after: None,
            now_micros,
            visible_at_micros: match scope {
                Scope::Public { at } => Some(micros(*at)),
                Scope::Newsroom { .. } => None,
            },
            from_micros: None,
            to_micros: None,
            deadline: Instant::now() + self.budget,
            exclude: None,
        }
    }
}

/// Analysers for building queries, one per language and one for names.
struct Analyzers {
    lang: Vec<TextAnalyzer>,
    names: TextAnalyzer,
}

impl Analyzers {
    fn new() -> Analyzers {
        Analyzers {
            lang: LANGS.into_iter().map(schema::analyzer).collect(),
            names: schema::names_analyzer(),
        }
    }
}

/// Keys a name is found by: the whole name folded, and from each later word on ("ada morel",
/// "morel").
fn name_keys(name: &str) -> Vec<String> {
    let folded = schema::fold(name);
    let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    (0..words.len()).map(|i| words[i..].join(" ")).collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

impl Search for TantivySearch {
    fn search(&self, req: &SearchRequest) -> Result<SearchPage, SearchError> {
        let clauses = query::parse(&req.q)?;
        let cursor = match &req.cursor {
            Some(c) => Some(PageCursor::decode(c).ok_or(SearchError::BadCursor)?),
            None => None,
        };
        if cursor.is_some_and(|c| c.sort != req.sort) {
            return Err(SearchError::BadCursor);
        }
        let limit = req.limit.clamp(1, MAX_LIMIT);
        let searcher = self.reader.searcher();
        let now_micros = cursor
            .map(|c| c.now_micros)
            .unwrap_or_else(|| match &req.scope {
                Scope::Public { at } => micros(*at),
                Scope::Newsroom { .. } => micros(Utc::now()),
            });
        let filters = self.filter_queries(req);
        let mut spec = self.spec(req.sort, limit + 1, &req.scope, now_micros);
        spec.from_micros = req.filters.from.map(micros);
        spec.to_micros = req.filters.to.map(micros);

        let mut corrected = cursor.is_some_and(|c| c.corrected);
        let mut corrections = if corrected {
            self.corrections(&searcher, &clauses)?
        } else {
            HashMap::new()
        };
        let mut plan = self.plan(&clauses, &corrections)?;
        let in_relaxed = cursor.is_some_and(|c| c.relaxed);
        let exact_spec = |plan_spec: &PageSpec| {
            let mut s = plan_spec.clone();
            if in_relaxed {
                s.limit = 0;
            } else {
                s.after = cursor.map(|c| c.pos);
            }
            s
        };
        spec.exclude = self.matches(&searcher, plan.excluded())?;
        let mut exact = self.run(&searcher, &plan.exact(&filters), exact_spec(&spec))?;
        if cursor.is_none() && exact.total < FEW {
            let fixes = self.corrections(&searcher, &clauses)?;
            if !fixes.is_empty() {
                let fixed_plan = self.plan(&clauses, &fixes)?;
                let fixed = self.run(&searcher, &fixed_plan.exact(&filters), exact_spec(&spec))?;
                if fixed.total > exact.total {
                    plan = fixed_plan;
                    exact = fixed;
                    corrections = fixes;
                    corrected = true;
                }
            }
        }
        let did_you_mean =
            corrected.then(|| query::render(&clauses, &|w| corrections.get(w).cloned()));

        let mut total = exact.total;
        let mut partial = exact.partial;
        let mut found: Vec<(bool, Found)> = exact.found.into_iter().map(|f| (false, f)).collect();
        if found.len() <= limit
            && let Some(relaxed_query) = plan.relaxed(&filters)
        {
            let mut s = spec.clone();
            s.limit = limit + 1 - found.len();
            let exact_matches = self.matches(&searcher, Some(plan.exact(&filters)))?;
            s.exclude = match (exact_matches, &spec.exclude) {
                (Some(a), Some(b)) => Some(Arc::new(Matches::union(&a, b))),
                (a, b) => a.or_else(|| b.clone()),
            };
            if in_relaxed {
                s.after = cursor.map(|c| c.pos);
            }
            let relaxed = self.run(&searcher, &relaxed_query, s)?;
            total += relaxed.total;
            partial |= relaxed.partial;
            found.extend(relaxed.found.into_iter().map(|f| (true, f)));
        }
        let next_cursor = if found.len() > limit {
            found.truncate(limit);
            found.last().map(|(relaxed, f)| {
                PageCursor {
                    relaxed: *relaxed,
                    sort: req.sort,
                    pos: f.pos,
                    now_micros,
                    corrected,
                }
                .encode()
            })
        } else {
            None
        };
        let highlight = plan.highlight();
        let mut generators = HashMap::new();
        let hits = guarded(|| {
            found
                .iter()
                .map(|(_, f)| self.hit(&searcher, f, &mut generators, Some(&highlight)))
                .collect::<Result<Vec<_>, _>>()
        })?;
        Ok(SearchPage {
            hits,
            next_cursor,
            total,
            did_you_mean,
            partial,
        })
    }

    fn suggest(
        &self,
        q: &str,
        scope: &Scope,
        limit: usize,
    ) -> Result<Vec<Suggestion>, SearchError> {
        let limit = limit.clamp(1, 20);
        let typed: String = q.chars().take(100).collect();
        let folded = schema::fold(&typed);
        if folded.is_empty() {
            return Ok(Vec::new());
        }
        let searcher = self.reader.searcher();
        let mut out = Vec::new();
        // Headlines: the words typed so far, the last one as a prefix of any headline word.
        let words: Vec<&str> = folded.split(' ').collect();
        let (last, before) = match words.split_last() {
            Some((last, before)) => (*last, before),
            None => return Ok(out),
        };
        let mut expansions: HashMap<String, u64> = HashMap::new();
        for seg in searcher.segment_readers() {
            let inv = seg.inverted_index(self.f.headline_plain)?;
            let mut stream = inv.terms().range().ge(last.as_bytes()).into_stream()?;
            let mut n = 0;
            while n < 4 * SUGGEST_PREFIX_TERMS && stream.advance() {
                let Ok(t) = std::str::from_utf8(stream.key()) else {
                    continue;
                };
                if !t.starts_with(last) {
                    break;
                }
                *expansions.entry(t.to_string()).or_default() += u64::from(stream.value().doc_freq);
                n += 1;
            }
        }
        let mut expansions: Vec<(String, u64)> = expansions.into_iter().collect();
        expansions.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        expansions.truncate(SUGGEST_PREFIX_TERMS);
        if !expansions.is_empty() {
            let basic = |t: &str| -> Box<dyn Query> {
                Box::new(TermQuery::new(
                    Term::from_field_text(self.f.headline_plain, t),
                    IndexRecordOption::Basic,
                ))
            };
            let mut subs: Vec<(Occur, Box<dyn Query>)> =
                before.iter().map(|w| (Occur::Must, basic(w))).collect();
            let prefix = BooleanQuery::new(
                expansions
                    .iter()
                    .map(|(t, _)| (Occur::Should, basic(t)))
                    .collect(),
            );
            subs.push((Occur::Must, Box::new(prefix)));
            let query = BooleanQuery::new(subs);
            let spec = self.spec(Sort::Newest, limit, scope, micros(Utc::now()));
            let fruit = self.run(&searcher, &query, spec)?;
            for found in fruit.found {
                let doc: TantivyDocument = searcher.doc(found.addr)?;
                let get = |field| {
                    doc.get_first(field)
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                };
                out.push(Suggestion {
                    kind: SuggestionKind::Headline,
                    text: get(self.f.headline),
                    slug: Some(get(self.f.slug)),
                });
            }
        }
        // People and tags: names whose folded form, or a later word of it, starts with the input.
        for (field, kind) in [
            (self.f.person_key, SuggestionKind::Person),
            (self.f.tag_key, SuggestionKind::Tag),
        ] {
            let mut names: HashMap<(String, Option<String>), u64> = HashMap::new();
            for seg in searcher.segment_readers() {
                let inv = seg.inverted_index(field)?;
                let mut stream = inv.terms().range().ge(folded.as_bytes()).into_stream()?;
                let mut n = 0;
                while n < 200 && stream.advance() {
                    let Ok(t) = std::str::from_utf8(stream.key()) else {
                        continue;
                    };
                    if !t.starts_with(folded.as_str()) {
                        break;
                    }
                    let mut parts = t.split(KEY_SEP).skip(1);
                    if let Some(name) = parts.next() {
                        let slug = parts.next().map(str::to_string);
                        *names.entry((name.to_string(), slug)).or_default() +=
                            u64::from(stream.value().doc_freq);
                    }
                    n += 1;
                }
            }
            let mut names: Vec<_> = names.into_iter().collect();
            names.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            for ((text, slug), _) in names.into_iter().take(limit) {
                out.push(Suggestion { kind, text, slug });
            }
        }
        Ok(out)
    }

    fn related(&self, id: u64, scope: &Scope, limit: usize) -> Result<Vec<Hit>, SearchError> {
        let limit = limit.clamp(1, 20);
        let searcher = self.reader.searcher();
        let Some(addr) = self.address_of(&searcher, id)? else {
            return Ok(Vec::new());
        };
        let f = &self.f;
        let doc: TantivyDocument = searcher.doc(addr)?;
        let text = |field: Field| -> String {
            doc.get_all(field)
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let lang = Lang::from_code(&text(f.lang));
        let section = doc
            .get_first(f.section)
            .and_then(|v| v.as_str())
            .map(str::to_string);
        let cluster = doc.get_first(f.cluster).and_then(|v| v.as_u64());
        let headline = text(f.headline);
        let content = format!("{}\n{}", text(f.standfirst), text(f.body));

        // Term frequencies, headline words counted double and names (capitalised inside a
        // sentence) half as much again: they say what the story is about.
        let mut analyzer = schema::analyzer(lang);
        let mut tf: HashMap<String, f32> = HashMap::new();
        for (t, weight) in [(&headline, 2.0), (&content, 1.0)] {
            let mut stream = analyzer.token_stream(t);
            while let Some(tok) = stream.next() {
                *tf.entry(tok.text.clone()).or_default() += weight;
            }
        }
        for name in capitalised_inside_sentences(&format!("{headline}.\n{content}")) {
            let mut stream = analyzer.token_stream(&name);
            while let Some(tok) = stream.next() {
                if let Some(w) = tf.get_mut(&tok.text) {
                    *w *= 1.5;
                }
            }
        }
        let n = searcher.num_docs() as f32;
        let text_field = f.text_l[lang.index()];
        let mut scored: Vec<(f32, String)> = Vec::new();
        for (term, w) in tf {
            let df = searcher.doc_freq(&Term::from_field_text(text_field, &term))? as f32;
            // Terms only this article has find nothing; terms most articles have say nothing.
            if df <= 1.0 || (n > 20.0 && df > n / 4.0) {
                continue;
            }
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            scored.push((w / (w + 1.2) * idf, term));
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        scored.truncate(MLT_TERMS);
        let mut subs: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (w, term) in &scored {
            let weight = w / scored.first().map(|s| s.0).unwrap_or(1.0).max(f32::EPSILON);
            for (field, boost) in [(text_field, 1.0), (f.headline_l[lang.index()], 0.5)] {
                let q = TermQuery::new(
                    Term::from_field_text(field, term),
                    IndexRecordOption::WithFreqs,
                );
                subs.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(q), weight * boost)),
                ));
            }
        }
        for p in doc.get_all(f.people).filter_map(|v| v.as_str()) {
            let analyzers = Analyzers::new();
            if let Some(q) = self.field_query(f.names, &analyzers.names, p) {
                subs.push((Occur::Should, q));
            }
        }
        if subs.is_empty() {
            return Ok(Vec::new());
        }
        let any = BooleanQuery::new(subs);
        let mut query: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Must, Box::new(any)),
            (
                Occur::MustNot,
                Box::new(TermQuery::new(
                    Term::from_field_u64(f.id, id),
                    IndexRecordOption::Basic,
                )),
            ),
        ];
        if let Some(c) = cluster {
            query.push((
                Occur::MustNot,
                Box::new(TermQuery::new(
                    Term::from_field_u64(f.cluster, c),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        let query = BooleanQuery::new(query);
        let spec = self.spec(Sort::Relevance, limit * 4 + 8, scope, micros(Utc::now()));
        let fruit = self.run(&searcher, &query, spec)?;

        // Same section up, then one per story cluster.
        let mut candidates: Vec<(f64, Found, TantivyDocument)> = Vec::new();
        for found in fruit.found {
            let d: TantivyDocument = searcher.doc(found.addr)?;
            let same_section = section.is_some()
                && d.get_first(f.section).and_then(|v| v.as_str()) == section.as_deref();
            let bonus = if same_section {
                f64::from(SAME_SECTION_BONUS)
            } else {
                1.0
            };
            candidates.push((found.pos.key * bonus, found, d));
        }
        candidates.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut seen_clusters = HashSet::new();
        let mut generators = HashMap::new();
        let mut out = Vec::new();
        for (_, found, d) in candidates {
            if let Some(c) = d.get_first(f.cluster).and_then(|v| v.as_u64())
                && !seen_clusters.insert(c)
            {
                continue;
            }
            out.push(guarded(|| {
                self.hit(&searcher, &found, &mut generators, None)
            })?);
            if out.len() == limit {
                break;
            }
        }
        Ok(out)
    }

    fn apply(&self, upserts: Vec<SearchDoc>, deletes: &[u64], seq: i64) -> Result<(), SearchError> {
        {
            let w = self.writer();
            for id in deletes {
                w.delete_term(Term::from_field_u64(self.f.id, *id));
            }
        }
        self.add(&upserts)?;
        self.commit(Some(seq))
    }

    fn applied_seq(&self) -> Result<Option<i64>, SearchError> {
        let metas = self.index.load_metas()?;
        Ok(metas
            .payload
            .as_deref()
            .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
            .and_then(|v| v.get("seq").and_then(|s| s.as_i64())))
    }

    fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }
}

/// Words with a capital letter that do not start a sentence: names of people, places, bodies.
fn capitalised_inside_sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut sentence_start = true;
    for raw in text.split_whitespace() {
        let word = raw.trim_matches(|c: char| !c.is_alphanumeric());
        if !sentence_start
            && word.chars().next().is_some_and(char::is_uppercase)
            && word.chars().count() > 1
        {
            out.push(word.to_string());
        }
        sentence_start = raw.ends_with(['.', '!', '?', ':']) || raw.ends_with(".\"");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = PageCursor {
            relaxed: true,
            sort: Sort::Relevance,
            pos: Position { key: 3.25, id: 42 },
            now_micros: 1_700_000_000_000_000,
            corrected: false,
        };
        assert_eq!(PageCursor::decode(&c.encode()), Some(c));
        assert_eq!(PageCursor::decode("not a cursor"), None);
        assert_eq!(PageCursor::decode(""), None);
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("goverment", "government"), 1);
        assert_eq!(edit_distance("harbour", "harbor"), 1);
        assert_eq!(edit_distance("ferry", "ferry"), 0);
    }

    #[test]
    fn names_are_found_by_any_later_word() {
        assert_eq!(name_keys("Ada Morel"), vec!["ada morel", "morel"]);
    }
}
