//! Masking of identifying numbers for roles that may not see them whole (reference §11,
//! PIPL art. 28): ID numbers `3202**********123X`, mobiles `138****5678`, other phones and
//! bank accounts keep their last four digits (accounts also their first four).

/// `3202**********123X`: the first and last four characters of an 18-character number.
pub fn id_number(s: &str) -> String {
    keep(s, 4, 4)
}

/// `138****5678` for a mobile; other numbers keep their last four digits.
pub fn phone(s: &str) -> String {
    if s.len() == 11 && s.is_ascii() {
        keep(s, 3, 4)
    } else {
        keep(s, 0, 4)
    }
}

/// `6222***********0123`: the first and last four digits.
pub fn bank_account(s: &str) -> String {
    keep(s, 4, 4)
}

/// A certificate number is the ID number and two digits (and a suffix): masked like the ID.
pub fn certificate(s: &str) -> String {
    if s.len() >= 18 && s.is_ascii() {
        format!("{}{}", id_number(&s[..18]), &s[18..])
    } else {
        keep(s, 0, 0)
    }
}

/// `text` with every run of 15 or more digits (an ID number, with its final X, or a bank
/// account) masked to its first and last four characters: what an audit entry or a log line
/// may hold of numbers it quotes.
pub fn long_numbers(text: &str) -> std::borrow::Cow<'_, str> {
    let b = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i - start == 17 && i < b.len() && matches!(b[i], b'x' | b'X') {
            i += 1;
        }
        if i - start >= 15 {
            let o = out.get_or_insert_with(String::new);
            o.push_str(&text[copied..start]);
            o.push_str(&keep(&text[start..i], 4, 4));
            copied = i;
        }
    }
    match out {
        Some(mut o) => {
            o.push_str(&text[copied..]);
            std::borrow::Cow::Owned(o)
        }
        None => std::borrow::Cow::Borrowed(text),
    }
}

fn keep(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_documented_shapes() {
        assert_eq!(id_number("32020219800101123X"), "3202**********123X");
        assert_eq!(phone("13812345678"), "138****5678");
        assert_eq!(phone("025-84561234"), "********1234");
        assert_eq!(bank_account("6222021234567890123"), "6222***********0123");
        assert_eq!(
            certificate("32020219800101123X42B1"),
            "3202**********123X42B1"
        );
        assert_eq!(phone("123"), "***");
    }

    #[test]
    fn long_numbers_in_text_are_masked() {
        assert_eq!(
            long_numbers("q=11010519491231002X&region=320102000000"),
            "q=1101**********002X&region=320102000000"
        );
        assert_eq!(
            long_numbers("账号6222021234567890123。"),
            "账号6222***********0123。"
        );
        assert_eq!(long_numbers("旧号110105491231002"), "旧号1101*******1002");
        assert_eq!(long_numbers("电话13812345678"), "电话13812345678");
        assert_eq!(long_numbers("1101**********002X"), "1101**********002X");
        assert_eq!(long_numbers(""), "");
    }

    proptest! {
        #[test]
        fn masking_hides_the_middle_and_keeps_the_length(s in "[0-9X]{18}") {
            let m = id_number(&s);
            prop_assert_eq!(m.chars().count(), 18);
            prop_assert_eq!(&m[4..14], "**********");
        }
    }
}
