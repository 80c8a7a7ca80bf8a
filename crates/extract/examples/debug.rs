//! Prints how the body of one page was chosen: `debug FILE[.gz] [--tree]`
//! (`--tree` first dumps the whole analysed tree).
use std::io::Read;
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: debug FILE")?;
    let raw = std::fs::read(&path)?;
    let bytes = if path.ends_with(".gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut out)?;
        out
    } else {
        raw
    };
    let tree = std::env::args().any(|a| a == "--tree");
    print!("{}", newsdesk_extract::debug_body(&bytes, tree));
    Ok(())
}
