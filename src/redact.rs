//! What sselink lets into logs and messages: URLs without their userinfo and
//! with every query value hidden.

use url::Url;

/// `url` as it may be logged or shown: scheme, host, port and path, the
/// query's parameter names with each value replaced by `***`, and no
/// userinfo or fragment. Text that does not parse as a URL is cut at the
/// first `?` or `#` and loses anything before an `@` in its authority.
pub fn url_for_logs(url: &str) -> String {
    match Url::parse(url) {
        Ok(parsed) => redacted(&parsed),
        Err(_) => redacted_text(url),
    }
}

pub(crate) fn redacted(url: &Url) -> String {
    let mut out = String::with_capacity(url.as_str().len());
    out.push_str(url.scheme());
    out.push_str("://");
    if let Some(host) = url.host_str() {
        out.push_str(host);
    }
    if let Some(port) = url.port() {
        out.push(':');
        out.push_str(&port.to_string());
    }
    out.push_str(url.path());
    if let Some(query) = url.query() {
        out.push('?');
        push_redacted_query(&mut out, query);
    }
    out
}

fn push_redacted_query(out: &mut String, query: &str) {
    for (n, pair) in query.split('&').enumerate() {
        if n > 0 {
            out.push('&');
        }
        match pair.split_once('=') {
            Some((name, _)) => {
                out.push_str(name);
                out.push_str("=***");
            }
            None if pair.is_empty() => {}
            None => out.push_str(pair),
        }
    }
}

fn redacted_text(text: &str) -> String {
    let end = text.find(['?', '#']).unwrap_or(text.len());
    let (before, _) = text.split_at(end);
    let authority_start = before.find("://").map_or(0, |i| i + 3);
    let authority_end = before[authority_start..]
        .find('/')
        .map_or(before.len(), |i| authority_start + i);
    let mut out = String::from(&before[..authority_start]);
    let authority = &before[authority_start..authority_end];
    out.push_str(
        authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host),
    );
    out.push_str(&before[authority_end..]);
    if end < text.len() {
        out.push_str("?***");
    }
    out.escape_debug().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_userinfo_and_query_values() {
        assert_eq!(
            url_for_logs("https://user:pw@h.example:8443/a/b?api_key=K&x=1&flag#frag"),
            "https://h.example:8443/a/b?api_key=***&x=***&flag"
        );
        assert_eq!(url_for_logs("http://h/e"), "http://h/e");
        assert_eq!(url_for_logs("http://h/e?"), "http://h/e?");
    }

    #[test]
    fn text_that_does_not_parse_is_cut() {
        assert_eq!(
            url_for_logs("http://u:p@[bad/x?k=SECRET"),
            "http://[bad/x?***"
        );
        assert_eq!(url_for_logs("no url at all"), "no url at all");
        assert_eq!(url_for_logs("a\nb?c"), "a\\nb?***");
    }
}
