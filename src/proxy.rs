//! Which proxy a request goes through: the one the `proxy` option names or,
//! without it, the environment's; and the hosts that bypass it (`no_proxy`,
//! or the environment's `no_proxy`/`NO_PROXY`), matched as curl matches
//! them. Pure: the environment is read through a function, so the rules are
//! tested without touching the process's own.

use std::net::{Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// The variables that name a proxy, in the order they are tried: the first
/// set to a non-empty value wins, whatever the stream's scheme.
const PROXY_VARIABLES: [&str; 6] = [
    "ALL_PROXY",
    "all_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
];

/// The proxy the environment names, as `(variable, value)`.
///
/// In a CGI program (`REQUEST_METHOD` set) `HTTP_PROXY` is ignored, as Go
/// ignores it: there a request's `Proxy:` header arrives as `HTTP_PROXY`,
/// so any client could steer the program to its own proxy (httpoxy,
/// CVE-2016-5385). Lowercase `http_proxy`, which no header can set, still
/// counts, unless it reads the same as `HTTP_PROXY` (an environment whose
/// names ignore case).
pub(crate) fn proxy_from_env(
    var: impl Fn(&str) -> Option<String>,
) -> Option<(&'static str, String)> {
    let set = |name: &str| var(name).filter(|value| !value.trim().is_empty());
    let cgi = set("REQUEST_METHOD").is_some();
    let untrusted = if cgi { set("HTTP_PROXY") } else { None };
    for name in PROXY_VARIABLES {
        let Some(value) = set(name) else { continue };
        let header_set =
            name == "HTTP_PROXY" || (name == "http_proxy" && untrusted.as_ref() == Some(&value));
        if cgi && header_set {
            log::warn!(
                "{name} is ignored: REQUEST_METHOD is set, so this may be a CGI program \
                 whose HTTP_PROXY a request's Proxy header set (httpoxy)"
            );
            continue;
        }
        return Some((name, value));
    }
    None
}

/// The environment's list of hosts that bypass the proxy: `no_proxy`, then
/// `NO_PROXY`, as curl reads them.
pub(crate) fn no_proxy_from_env(var: impl Fn(&str) -> Option<String>) -> Option<String> {
    var("no_proxy").or_else(|| var("NO_PROXY"))
}

/// Hosts that bypass the proxy, parsed from a `NO_PROXY`-style list.
///
/// The rules are curl's:
/// - entries are separated by commas, blanks around them ignored (blanks
///   between names separate them too);
/// - `*` alone turns the proxy off for every host;
/// - a name matches itself and every name below it (`example.com` matches
///   `example.com` and `a.example.com`, never `notexample.com`); a leading
///   dot (`.example.com`) or `*.` means the same; names compare without case
///   and without one trailing dot, on either side;
/// - an IPv4 or IPv6 address matches that address, and with `/bits` a
///   network (`127.0.0.0/8`, `fe80::/10`); an IPv6 address may be given with
///   or without brackets (`::1`, `[::1]`). Names never match addresses, nor
///   addresses names: `localhost` does not cover `127.0.0.1`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NoProxy {
    everything: bool,
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    /// Lowercase, without a leading or trailing dot; never empty.
    Name(String),
    V4 {
        network: u32,
        bits: u32,
    },
    V6 {
        network: u128,
        bits: u32,
    },
}

impl NoProxy {
    /// Parses `list`. Entries that cannot match anything (a network with
    /// bits out of range, say) are left out.
    pub(crate) fn parse(list: &str) -> NoProxy {
        if list.trim_matches(is_blank) == "*" {
            return NoProxy {
                everything: true,
                entries: Vec::new(),
            };
        }
        let entries = list
            .split(|c: char| c == ',' || is_blank(c))
            .filter(|token| !token.is_empty())
            .filter_map(Entry::parse)
            .collect();
        NoProxy {
            everything: false,
            entries,
        }
    }

    /// True when the list is `*`: no host uses the proxy.
    pub(crate) fn is_everything(&self) -> bool {
        self.everything
    }

    /// True when a request to `url` bypasses the proxy.
    pub(crate) fn bypasses(&self, url: &Url) -> bool {
        if self.everything {
            return true;
        }
        match url.host() {
            Some(host) => self.entries.iter().any(|entry| entry.matches(&host)),
            None => false,
        }
    }
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

impl Entry {
    fn parse(token: &str) -> Option<Entry> {
        let (address, bits) = match token.split_once('/') {
            Some((address, bits)) => (address, Some(bits)),
            None => (token, None),
        };
        let unbracketed = address
            .strip_prefix('[')
            .and_then(|a| a.strip_suffix(']'))
            .unwrap_or(address);
        let prefix = |max: u32| match bits {
            None => Some(max),
            Some(text) => text.parse::<u32>().ok().filter(|&b| b <= max),
        };
        if let Ok(v4) = address.parse::<Ipv4Addr>() {
            let bits = prefix(32)?;
            return Some(Entry::V4 {
                network: u32::from(v4) & mask32(bits),
                bits,
            });
        }
        if let Ok(v6) = unbracketed.parse::<Ipv6Addr>() {
            let bits = prefix(128)?;
            return Some(Entry::V6 {
                network: u128::from(v6) & mask128(bits),
                bits,
            });
        }
        if bits.is_some() {
            // A name with a slash: it cannot name a host.
            return None;
        }
        let name = token.strip_prefix('*').unwrap_or(token);
        let name = name.strip_suffix('.').unwrap_or(name);
        let name = name.strip_prefix('.').unwrap_or(name);
        if name.is_empty() {
            return None;
        }
        // A URL's host is in its ASCII form (punycode, lowercase): so is the
        // entry, or `bücher.example` would never match its own host.
        let ascii = match Host::parse(name) {
            Ok(Host::Domain(domain)) if !name.is_ascii() => domain,
            _ => name.to_ascii_lowercase(),
        };
        Some(Entry::Name(ascii))
    }

    fn matches(&self, host: &Host<&str>) -> bool {
        match (self, host) {
            (Entry::Name(name), Host::Domain(domain)) => {
                let domain = domain.strip_suffix('.').unwrap_or(domain);
                let domain = domain.to_ascii_lowercase();
                domain == *name
                    || domain
                        .strip_suffix(name.as_str())
                        .is_some_and(|rest| rest.ends_with('.'))
            }
            (Entry::V4 { network, bits }, Host::Ipv4(address)) => {
                u32::from(*address) & mask32(*bits) == *network
            }
            (Entry::V6 { network, bits }, Host::Ipv6(address)) => {
                u128::from(*address) & mask128(*bits) == *network
            }
            _ => false,
        }
    }
}

fn mask32(bits: u32) -> u32 {
    u32::MAX.checked_shl(32 - bits).unwrap_or(0)
}

fn mask128(bits: u32) -> u128 {
    u128::MAX.checked_shl(128 - bits).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bypasses(list: &str, url: &str) -> bool {
        NoProxy::parse(list).bypasses(&Url::parse(url).unwrap())
    }

    /// curl's rules, case by case: (NO_PROXY, URL, bypassed).
    #[test]
    fn no_proxy_matches_as_curl_does() {
        let table: &[(&str, &str, bool)] = &[
            // Separators: commas, blanks around them, blanks alone.
            ("localhost, 127.0.0.1", "http://127.0.0.1:8080/", true),
            ("localhost ,\t127.0.0.1 ", "http://127.0.0.1/", true),
            ("localhost 127.0.0.1", "http://127.0.0.1/", true),
            (",,localhost,,", "http://localhost/", true),
            ("", "http://localhost/", false),
            (" ", "http://localhost/", false),
            // `*` alone turns the proxy off; among others it is a name.
            ("*", "http://anything.example/", true),
            (" * ", "http://[::1]/", true),
            ("*,localhost", "http://anything.example/", false),
            // Names: the name itself and every name below it.
            ("example.com", "http://example.com/", true),
            ("example.com", "http://sub.example.com/", true),
            ("example.com", "http://a.b.example.com/", true),
            ("example.com", "http://notexample.com/", false),
            ("example.com", "http://example.com.evil/", false),
            ("sub.example.com", "http://example.com/", false),
            (".example.com", "http://example.com/", true),
            (".example.com", "http://sub.example.com/", true),
            ("*.example.com", "http://example.com/", true),
            ("*.example.com", "http://sub.example.com/", true),
            ("EXAMPLE.com", "http://Sub.Example.COM/", true),
            // One trailing dot, on either side.
            ("localhost", "http://localhost./", true),
            ("localhost.", "http://localhost/", true),
            ("example.com.", "http://sub.example.com./", true),
            // IPv4: addresses and networks; names never match addresses.
            ("127.0.0.1", "http://127.0.0.1/", true),
            ("127.0.0.1", "http://127.0.0.2/", false),
            ("127.0.0.0/8", "http://127.1.2.3/", true),
            ("127.0.0.0/8", "http://128.0.0.1/", false),
            ("10.0.0.0/255", "http://10.0.0.1/", false),
            ("0.0.0.0/0", "http://192.0.2.1/", true),
            ("192.168.1.77/24", "http://192.168.1.5/", true),
            ("localhost", "http://127.0.0.1/", false),
            ("127.0.0.1", "http://localhost/", false),
            // IPv6: with or without brackets, networks too.
            ("::1", "http://[::1]/", true),
            ("[::1]", "http://[::1]:8080/", true),
            ("::1", "http://[::2]/", false),
            ("fe80::/10", "http://[fe80::1234]/", true),
            ("fe80::/10", "http://[fec0::1]/", false),
            ("::1/129", "http://[::1]/", false),
            ("::1", "http://127.0.0.1/", false),
            ("127.0.0.1", "http://[::1]/", false),
        ];
        for &(list, url, expected) in table {
            assert_eq!(bypasses(list, url), expected, "NO_PROXY={list:?} {url}");
        }
    }

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_first_proxy_variable_set_wins() {
        assert_eq!(proxy_from_env(env(&[])), None);
        assert_eq!(
            proxy_from_env(env(&[("HTTP_PROXY", "http://h:1"), ("ALL_PROXY", "")])),
            Some(("HTTP_PROXY", "http://h:1".to_string())),
            "an empty variable counts as unset"
        );
        assert_eq!(
            proxy_from_env(env(&[
                ("https_proxy", "http://s:1"),
                ("ALL_PROXY", "socks5://a:1")
            ])),
            Some(("ALL_PROXY", "socks5://a:1".to_string()))
        );
    }

    #[test]
    fn http_proxy_is_ignored_in_a_cgi_program() {
        let cgi = [("REQUEST_METHOD", "GET"), ("HTTP_PROXY", "http://evil:1")];
        assert_eq!(proxy_from_env(env(&cgi)), None);
        assert_eq!(
            proxy_from_env(env(&[("HTTP_PROXY", "http://evil:1")])),
            Some(("HTTP_PROXY", "http://evil:1".to_string())),
            "outside CGI it counts"
        );
        assert_eq!(
            proxy_from_env(env(&[
                ("REQUEST_METHOD", "GET"),
                ("HTTP_PROXY", "http://evil:1"),
                ("http_proxy", "http://mine:1")
            ])),
            Some(("http_proxy", "http://mine:1".to_string())),
            "lowercase http_proxy, which no header can set, counts"
        );
        assert_eq!(
            proxy_from_env(env(&[
                ("REQUEST_METHOD", "GET"),
                ("HTTP_PROXY", "http://evil:1"),
                ("http_proxy", "http://evil:1")
            ])),
            None,
            "the same value under both names: an environment that ignores case"
        );
        assert_eq!(
            proxy_from_env(env(&[
                ("REQUEST_METHOD", "POST"),
                ("HTTP_PROXY", "http://evil:1"),
                ("HTTPS_PROXY", "http://mine:1")
            ])),
            Some(("HTTPS_PROXY", "http://mine:1".to_string()))
        );
    }

    #[test]
    fn no_proxy_is_read_lowercase_first() {
        assert_eq!(
            no_proxy_from_env(env(&[("NO_PROXY", "a"), ("no_proxy", "b")])),
            Some("b".into())
        );
        assert_eq!(
            no_proxy_from_env(env(&[("NO_PROXY", "a")])),
            Some("a".into())
        );
        assert_eq!(no_proxy_from_env(env(&[])), None);
    }

    /// A non-ASCII name is compared in the host's ASCII form (punycode); an
    /// ASCII one as written, without the percent-decoding of a URL's host.
    /// Kills `replace match guard !name.is_ascii() with true`, `with false`
    /// and `delete !` in `Entry::parse`.
    #[test]
    fn only_non_ascii_names_are_made_ascii() {
        assert!(bypasses("bücher.example", "http://bücher.example/"));
        assert!(bypasses("BÜCHER.example", "http://xn--bcher-kva.example/"));
        assert!(!bypasses("ex%41mple.com", "http://example.com/"));
    }
}
