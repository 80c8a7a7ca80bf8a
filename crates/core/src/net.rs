//! Which addresses newsdesk may connect to on a user's behalf (feeds, pages, webhooks): the
//! IANA special-purpose registries for IPv4 and IPv6, written out once.
//!
//! An address is public only if it is globally reachable unicast space. IPv6 forms that embed
//! an IPv4 address (mapped, SIIT-translated, NAT64, 6to4, Teredo) are judged by the address they
//! embed, so `[::ffff:127.0.0.1]`, `[64:ff9b::10.0.0.1]` or `[2002:7f00:1::]` cannot smuggle a
//! loopback or private target past the guard; the deprecated IPv4-compatible `::/96`
//! (`[::127.0.0.1]`) is refused outright.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use url::{Host, Url};

/// Whether connecting to `ip` could reach something on the open internet only.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

/// IPv4: everything in the special-purpose registry that is not globally reachable, plus
/// multicast, and the deprecated 6to4 relay anycast.
pub fn is_public_v4(ip: Ipv4Addr) -> bool {
    let n = u32::from(ip);
    const BLOCKED: &[(u32, u8)] = &[
        (0x0000_0000, 8),  // 0.0.0.0/8 "this network"
        (0x0A00_0000, 8),  // 10.0.0.0/8 private
        (0x6440_0000, 10), // 100.64.0.0/10 shared (carrier-grade NAT)
        (0x7F00_0000, 8),  // 127.0.0.0/8 loopback
        (0xA9FE_0000, 16), // 169.254.0.0/16 link-local (cloud metadata)
        (0xAC10_0000, 12), // 172.16.0.0/12 private
        (0xC000_0000, 24), // 192.0.0.0/24 IETF protocol assignments
        (0xC000_0200, 24), // 192.0.2.0/24 documentation
        (0xC058_6300, 24), // 192.88.99.0/24 6to4 relay anycast (deprecated)
        (0xC0A8_0000, 16), // 192.168.0.0/16 private
        (0xC612_0000, 15), // 198.18.0.0/15 benchmarking
        (0xC633_6400, 24), // 198.51.100.0/24 documentation
        (0xCB00_7100, 24), // 203.0.113.0/24 documentation
        (0xE000_0000, 4),  // 224.0.0.0/4 multicast
        (0xF000_0000, 4),  // 240.0.0.0/4 reserved, and 255.255.255.255 broadcast
    ];
    !BLOCKED.iter().any(|&(net, len)| {
        let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
        n & mask == net
    })
}

fn in_v6(ip: Ipv6Addr, net: u128, len: u32) -> bool {
    let mask = if len == 0 {
        0
    } else {
        u128::MAX << (128 - len)
    };
    u128::from(ip) & mask == net
}

fn v4_at(ip: Ipv6Addr, bit_offset: u32) -> Ipv4Addr {
    Ipv4Addr::from(((u128::from(ip) >> (96 - bit_offset)) & 0xFFFF_FFFF) as u32)
}

/// IPv6: only global unicast (`2000::/3`) minus its special blocks; embedded IPv4 judged as IPv4.
pub fn is_public_v6(ip: Ipv6Addr) -> bool {
    // IPv4-mapped ::ffff:0:0/96 and SIIT-translated ::ffff:0:0:0/96: the IPv4 address decides.
    if in_v6(ip, 0xFFFF_0000_0000, 96) || in_v6(ip, 0xFFFF_0000_0000_0000, 96) {
        return is_public_v4(v4_at(ip, 96));
    }
    // NAT64 well-known prefix 64:ff9b::/96: reaches the embedded IPv4 address.
    if in_v6(ip, 0x0064_FF9B << 96, 96) {
        return is_public_v4(v4_at(ip, 96));
    }
    // 6to4 2002::/16: the relay reaches the IPv4 address in bits 16..48.
    if in_v6(ip, 0x2002 << 112, 16) {
        return is_public_v4(v4_at(ip, 16));
    }
    // Teredo 2001::/32: server IPv4 in bits 32..64, client IPv4 (inverted) in the last 32.
    if in_v6(ip, 0x2001_0000 << 96, 32) {
        let server = v4_at(ip, 32);
        let client = Ipv4Addr::from(!((u128::from(ip) & 0xFFFF_FFFF) as u32));
        return is_public_v4(server) && is_public_v4(client);
    }
    if !in_v6(ip, 0x2000 << 112, 3) {
        // ::/128, ::1, IPv4-compatible ::/96, 64:ff9b:1::/48, 100::/64 discard, 5f00::/16
        // SRv6, fc00::/7 unique-local, fe80::/10 link-local, fec0::/10, ff00::/8 multicast...
        return false;
    }
    const BLOCKED: &[(u128, u32)] = &[
        (0x2001_0000 << 96, 23), // 2001::/23 IETF protocol assignments (benchmarking, ORCHID)
        (0x2001_0DB8 << 96, 32), // 2001:db8::/32 documentation
        (0x3FFF_0000 << 96, 20), // 3fff::/20 documentation
    ];
    !BLOCKED.iter().any(|&(net, len)| in_v6(ip, net, len))
}

/// Why a URL may not be fetched or posted to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DestinationError {
    #[error("{0:?} is not an http(s) URL")]
    NotHttp(String),
    #[error("{host} is not a public address ({why}); set fetch.allow_private to allow it")]
    NotPublic { host: String, why: String },
}

/// Checks a URL a user has just given (a source, a webhook) so a bad one is refused at once,
/// with a clear message, instead of failing at the next poll. Names are resolved and every
/// address must be public; the fetcher checks again when it connects (DNS may change).
/// `url` must already be http(s) with a host.
pub async fn check_destination(url: &Url, allow_private: bool) -> Result<(), DestinationError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(DestinationError::NotHttp(url.to_string()));
    }
    let host = url
        .host()
        .ok_or_else(|| DestinationError::NotHttp(url.to_string()))?;
    if allow_private {
        return Ok(());
    }
    let literal = match host {
        Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        Host::Domain(_) => None,
    };
    if let Some(ip) = literal {
        return if is_public(ip) {
            Ok(())
        } else {
            Err(DestinationError::NotPublic {
                host: host.to_string(),
                why: format!("{ip} is in a special-purpose range"),
            })
        };
    }
    let name = host.to_string();
    let port = url.port_or_known_default().unwrap_or(80);
    // A name that does not resolve (yet) is no SSRF: the fetcher's resolver checks again at
    // every connection, and the poll reports the failure on the source.
    let lookup = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        tokio::net::lookup_host((name.as_str(), port)),
    )
    .await;
    let addrs: Vec<SocketAddr> = match lookup {
        Ok(Ok(a)) => a.collect(),
        _ => return Ok(()),
    };
    if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
        return Err(DestinationError::NotPublic {
            host: name.clone(),
            why: format!("it resolves to {}", bad.ip()),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_special_purpose_registries_are_refused_and_public_addresses_are_not() {
        // (address, public?)
        let table: &[(&str, bool)] = &[
            ("8.8.8.8", true),
            ("1.1.1.1", true),
            ("93.184.216.34", true),
            ("0.0.0.0", false),
            ("0.1.2.3", false),
            ("10.1.2.3", false),
            ("100.64.0.1", false),
            ("100.127.255.254", false),
            ("100.128.0.1", true),
            ("127.0.0.1", false),
            ("127.255.255.255", false),
            ("169.254.169.254", false),
            ("172.16.0.1", false),
            ("172.31.255.255", false),
            ("172.32.0.1", true),
            ("192.0.0.8", false),
            ("192.0.0.170", false),
            ("192.0.2.1", false),
            ("192.88.99.1", false),
            ("192.168.1.1", false),
            ("198.18.0.1", false),
            ("198.19.255.255", false),
            ("198.20.0.1", true),
            ("198.51.100.7", false),
            ("203.0.113.9", false),
            ("224.0.0.1", false),
            ("239.255.255.250", false),
            ("240.0.0.1", false),
            ("255.255.255.255", false),
            // IPv6
            ("2606:4700:4700::1111", true),
            ("2a00:1450:4001:80b::200e", true),
            ("::", false),
            ("::1", false),
            ("::127.0.0.1", false),
            ("::8.8.8.8", false),
            ("::ffff:127.0.0.1", false),
            ("::ffff:10.0.0.1", false),
            ("::ffff:8.8.8.8", true),
            ("::ffff:0:127.0.0.1", false),
            ("64:ff9b::127.0.0.1", false),
            ("64:ff9b::192.168.0.1", false),
            ("64:ff9b::8.8.8.8", true),
            ("64:ff9b:1::1", false),
            ("100::1", false),
            ("2001:db8::1", false),
            ("2001:2::1", false),
            ("2001:10::1", false),
            ("3fff::1", false),
            ("5f00::1", false),
            // 6to4 with 127.0.0.1, 192.168.1.1 and 8.8.8.8 embedded.
            ("2002:7f00:1::1", false),
            ("2002:c0a8:101::1", false),
            ("2002:808:808::1", true),
            // Teredo: server 65.54.227.120, client 127.0.0.1 (inverted: 80ff:fffe).
            ("2001:0:4136:e378:8000:63bf:80ff:fffe", false),
            // Teredo: server 10.0.0.1.
            ("2001:0:a00:1:8000:63bf:f7f7:f7f7", false),
            // Teredo: server 65.54.227.120, client 8.8.8.8 (inverted: f7f7:f7f7).
            ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", true),
            ("fc00::1", false),
            ("fd12:3456::1", false),
            ("fe80::1", false),
            ("fec0::1", false),
            ("ff02::1", false),
        ];
        for &(addr, public) in table {
            let ip: IpAddr = addr.parse().expect(addr);
            assert_eq!(is_public(ip), public, "{addr}");
        }
    }

    #[tokio::test]
    async fn a_destination_is_checked_at_once_with_a_clear_message() {
        let url = |s: &str| Url::parse(s).expect("url");
        for bad in [
            "http://[::127.0.0.1]/feed",
            "http://192.0.0.1/",
            "http://127.0.0.1:8765/index.html",
            "http://localhost/feed.xml",
        ] {
            let e = check_destination(&url(bad), false)
                .await
                .expect_err(bad)
                .to_string();
            assert!(e.contains("not a public address"), "{bad}: {e}");
        }
        let e = check_destination(&url("ftp://example.org/"), false)
            .await
            .expect_err("ftp");
        assert!(matches!(e, DestinationError::NotHttp(_)));
        check_destination(&url("http://[2606:4700:4700::1111]/"), false)
            .await
            .expect("public literal");
        // Not resolvable here: accepted, the fetcher's resolver checks at connection time.
        check_destination(&url("http://feeds.newsdesk.invalid/rss"), false)
            .await
            .expect("unresolvable name");
        check_destination(&url("http://127.0.0.1/"), true)
            .await
            .expect("allowed when private is allowed");
    }
}
