//! The article text as characters with its paragraph boundaries: every
//! offset the extractor hands out is a character offset, so it works on a
//! `Vec<char>` once rather than converting byte offsets at each step.

pub(crate) struct Doc {
    pub chars: Vec<char>,
    /// `(start, end)` character ranges of the paragraphs (blank-line separated).
    pub paras: Vec<(usize, usize)>,
}

impl Doc {
    pub fn new(text: &str) -> Doc {
        let chars: Vec<char> = text.chars().collect();
        let mut paras = Vec::new();
        let mut i = 0;
        let n = chars.len();
        let mut start = 0;
        while i < n {
            if chars[i] == '\n' {
                // A blank line (only whitespace between two newlines) ends a paragraph.
                let mut j = i + 1;
                while j < n && chars[j] != '\n' && chars[j].is_whitespace() {
                    j += 1;
                }
                if j < n && chars[j] == '\n' {
                    push_para(&chars, &mut paras, start, i);
                    while j < n && chars[j].is_whitespace() {
                        j += 1;
                    }
                    start = j;
                    i = j;
                    continue;
                }
            }
            i += 1;
        }
        push_para(&chars, &mut paras, start, n);
        Doc { chars, paras }
    }

    pub fn slice(&self, start: usize, end: usize) -> String {
        self.chars[start..end].iter().collect()
    }
}

fn push_para(chars: &[char], paras: &mut Vec<(usize, usize)>, mut start: usize, mut end: usize) {
    while start < end && chars[start].is_whitespace() {
        start += 1;
    }
    while end > start && chars[end - 1].is_whitespace() {
        end -= 1;
    }
    if start < end {
        paras.push((start, end));
    }
}
