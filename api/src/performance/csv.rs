//! CSV cells for spreadsheet exports: RFC 4180 quoting plus the OWASP
//! defence against CSV (formula) injection.
//!
//! - A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
//!   is prefixed with a single quote, so a spreadsheet shows it as text
//!   instead of evaluating it (`=HYPERLINK(…)` → `'=HYPERLINK(…)`).
//! - A cell holding a comma, a double quote, a CR or a LF is then wrapped in
//!   double quotes, with inner quotes doubled.
//! - Rows end with CRLF (RFC 4180).

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Characters that make a spreadsheet read a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// One cell, escaped and quoted as needed.
pub fn cell(text: &str) -> String {
    let defused = if text.starts_with(FORMULA_STARTS) { format!("'{text}") } else { text.to_string() };
    if defused.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

/// Appends one row (cells joined by commas, CRLF-terminated) to `out`.
pub fn push_row<S: AsRef<str>>(out: &mut String, cells: impl IntoIterator<Item = S>) {
    for (i, text) in cells.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&cell(text.as_ref()));
    }
    out.push_str("\r\n");
}

/// A CSV download: 200, `text/csv`, saved as `filename`, never kept by a
/// shared cache (an export holds people's scores). `filename` is ASCII
/// without quotes (the handlers build it), else the header is left out.
pub fn attachment(body: Body, filename: &str) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_cells_stay_as_they_are() {
        assert_eq!(cell("Dana"), "Dana");
        assert_eq!(cell(""), "");
        assert_eq!(cell("45.5"), "45.5");
        assert_eq!(cell("a0000000-0000-4000-8000-000000000001"), "a0000000-0000-4000-8000-000000000001");
        // Only the first character counts.
        assert_eq!(cell("a=b"), "a=b");
    }

    #[test]
    fn formula_starts_get_a_quote_prefix() {
        assert_eq!(cell("-1+1"), "'-1+1");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("=1"), "'=1");
        assert_eq!(cell("\tx"), "'\tx");
        assert_eq!(cell("\rx"), "\"'\rx\"");
    }

    #[test]
    fn separators_and_quotes_are_quoted() {
        assert_eq!(cell("Smith, Jo"), "\"Smith, Jo\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(cell("=HYPERLINK(\"http://evil\",\"x\")"), "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\"");
    }

    #[test]
    fn rows_end_with_crlf() {
        let mut out = String::new();
        push_row(&mut out, ["a", "b,c", "-d"]);
        push_row(&mut out, Vec::<String>::new());
        assert_eq!(out, "a,\"b,c\",'-d\r\n\r\n");
    }
}
