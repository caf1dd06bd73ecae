//! Environment-variable expansion of the raw config text with Go `os.Expand` rules
//! (CLI_CONFIG.md §3.1.1), applied before YAML parsing, comments included.

/// Expands `$NAME` and `${NAME}` in `text` exactly like Go's `os.Expand`.
///
/// * `${NAME}`: everything up to the first `}` is the name (so `${X:-d}` looks up a
///   variable literally named `X:-d`); `${}` is dropped; an unclosed `${` drops the `${`.
/// * `$NAME`: the longest run of `[A-Za-z0-9_]`.
/// * `$` then a digit or one of `*#$@!?-`: that single character is the name (`$$` → the
///   variable named `$`, normally unset, so empty).
/// * `$` followed by anything else, or at the very end, stays literal.
///
/// `lookup` maps a name to its value; unset names expand to the empty string.
pub fn expand_env(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    // `i` is the start of the not-yet-copied literal run.
    let mut i = 0;
    let mut j = 0;
    while j < bytes.len() {
        if bytes[j] == b'$' && j + 1 < bytes.len() {
            out.push_str(&text[i..j]);
            let (name, width) = shell_name(&text[j + 1..]);
            match name {
                None if width > 0 => {} // bad syntax: eat the characters
                None => out.push('$'),  // `$` not followed by a name: keep it
                Some(name) => out.push_str(&lookup(name).unwrap_or_default()),
            }
            j += width;
            i = j + 1;
        }
        j += 1;
    }
    out.push_str(&text[i.min(text.len())..]);
    out
}

/// Go's `isShellSpecialVar`.
fn is_special(c: u8) -> bool {
    matches!(
        c,
        b'*' | b'#' | b'$' | b'@' | b'!' | b'?' | b'-' | b'0'..=b'9'
    )
}

/// Go's `isAlphaNum`.
fn is_alnum(c: u8) -> bool {
    c == b'_' || c.is_ascii_alphanumeric()
}

/// Go's `getShellName`: the name after a `$` and how many bytes it used.
/// `(None, w > 0)` means bad syntax to be eaten; `(None, 0)` means "no name".
fn shell_name(s: &str) -> (Option<&str>, usize) {
    let b = s.as_bytes();
    if b[0] == b'{' {
        if b.len() > 2 && is_special(b[1]) && b[2] == b'}' {
            return (Some(&s[1..2]), 3);
        }
        for (i, &c) in b.iter().enumerate().skip(1) {
            if c == b'}' {
                if i == 1 {
                    return (None, 2); // `${}`
                }
                return (Some(&s[1..i]), i + 1);
            }
        }
        return (None, 1); // unclosed `${`
    }
    if is_special(b[0]) {
        return (Some(&s[0..1]), 1);
    }
    let n = b.iter().take_while(|&&c| is_alnum(c)).count();
    if n == 0 {
        (None, 0)
    } else {
        (Some(&s[..n]), n)
    }
}

#[cfg(test)]
mod tests {
    use super::expand_env;

    fn env(name: &str) -> Option<String> {
        match name {
            "BUCKET" => Some("my-bucket".into()),
            "A_1" => Some("x".into()),
            "X:-default" => Some("literal-name".into()),
            "1" => Some("one".into()),
            _ => None,
        }
    }

    fn ex(s: &str) -> String {
        expand_env(s, &env)
    }

    #[test]
    fn braces_and_bare_names() {
        assert_eq!(ex("url: s3://${BUCKET}/db"), "url: s3://my-bucket/db");
        assert_eq!(ex("url: s3://$BUCKET/db"), "url: s3://my-bucket/db");
        assert_eq!(ex("$A_1-y"), "x-y");
        assert_eq!(ex("$BUCKETX"), "");
    }

    #[test]
    fn unset_is_empty() {
        assert_eq!(ex("a${NOPE}b$NOPE.c"), "ab.c");
    }

    #[test]
    fn special_single_characters() {
        assert_eq!(ex("a$$b"), "ab");
        assert_eq!(ex("$1abc"), "oneabc");
        assert_eq!(ex("${1}"), "one");
        assert_eq!(ex("p$?q$-r"), "pqr");
    }

    #[test]
    fn bad_syntax_and_literals() {
        assert_eq!(ex("a${}b"), "ab");
        assert_eq!(ex("cost: 5$"), "cost: 5$");
        assert_eq!(ex("a $ b"), "a $ b");
        assert_eq!(ex("a$.b"), "a$.b");
        assert_eq!(ex("x${BUCKET"), "xBUCKET");
        assert_eq!(ex("héllo $BUCKET ü"), "héllo my-bucket ü");
    }

    #[test]
    fn no_default_syntax() {
        assert_eq!(ex("${X:-default}"), "literal-name");
        assert_eq!(ex("${Y:-default}"), "");
    }

    #[test]
    fn comments_are_expanded_too() {
        assert_eq!(ex("# $BUCKET\nk: v"), "# my-bucket\nk: v");
    }
}
