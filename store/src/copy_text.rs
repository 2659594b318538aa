//! Encoding rows for `COPY … FROM STDIN` in PostgreSQL's text format.

/// Appends `value` as one text-format column, escaping what the format
/// reserves (backslash, tab, newline, carriage return).
pub fn push_text(buf: &mut Vec<u8>, value: &str) {
    let bytes = value.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'\\' => b"\\\\",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            _ => continue,
        };
        buf.extend_from_slice(&bytes[start..i]);
        buf.extend_from_slice(escaped);
        start = i + 1;
    }
    buf.extend_from_slice(&bytes[start..]);
}

/// Appends an integer column.
pub fn push_int(buf: &mut Vec<u8>, value: i64) {
    buf.extend_from_slice(value.to_string().as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_reserved_bytes_only() {
        let mut buf = Vec::new();
        push_text(&mut buf, "a\\b\tc\nd\re ñ");
        assert_eq!(buf, "a\\\\b\\tc\\nd\\re ñ".as_bytes());
    }
}
