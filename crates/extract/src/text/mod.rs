//! Small text helpers: comparison keys and counts, boilerplate lines and
//! headings, credits, URLs, dates, mojibake repair.

mod counting;
mod dates;
mod headings;
mod lines;
mod mojibake;
mod urls;

pub use counting::{Piece, key, pieces, word_count, word_set};
pub use dates::{date_from_url, normalize_date, textual_date};
pub use headings::{is_junk_heading, is_placeholder, opens_furniture_section};
pub use lines::{
    MAX_FURNITURE_BYTES, is_boilerplate_line, is_furniture_line, is_sign_up_pitch, split_credit,
};
pub use mojibake::fix_mojibake;
pub use urls::{host, resolve_url};
