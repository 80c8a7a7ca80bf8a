//! Prints the quotes found in a text file, one per line, for looking at
//! what the rules do: `show FILE [SUBSTRING]`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        return Err("usage: show FILE [SUBSTRING]".into());
    };
    let text = std::fs::read_to_string(path)?;
    for q in newsdesk_quotes::extract(&text) {
        if args.get(2).is_some_and(|s| !q.text.contains(s.as_str())) {
            continue;
        }
        println!(
            "{:?} | {:?} | role {:?} | ch {:?} | {:?} {}..{}",
            q.text.chars().take(70).collect::<String>(),
            q.speaker,
            q.role,
            q.channel,
            q.kind,
            q.start,
            q.end
        );
    }
    Ok(())
}
