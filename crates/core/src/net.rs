//! Which network addresses count as the open internet. Fetching feeds and pages (ingest) and
//! delivering webhooks (web) both refuse the rest, so that a URL cannot make the server reach
//! its own loopback, the LAN, or a cloud metadata service.

use std::net::{IpAddr, Ipv4Addr};

/// Whether connecting to `ip` could reach something on the open internet only.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let seg0 = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg0 & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (seg0 & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (seg0 & 0xffc0) == 0xfec0 // deprecated site-local
                || (seg0 == 0x2001 && v6.segments()[1] == 0x0db8) // documentation
                || (seg0 == 0x0064 && v6.segments()[1] == 0xff9b)) // NAT64 can reach private v4
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..=127).contains(&b)) // carrier-grade NAT
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_loopback_link_local_and_multicast_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "224.0.0.1",
            "100.64.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "ff02::1",
            "::ffff:127.0.0.1",
        ] {
            let ip: IpAddr = ip.parse().expect("test address");
            assert!(!is_public(ip), "{ip} must not be public");
        }
        for ip in ["93.184.216.34", "2a00:1450:4001:82a::200e", "1.1.1.1"] {
            let ip: IpAddr = ip.parse().expect("test address");
            assert!(is_public(ip), "{ip} is public");
        }
    }

    #[test]
    fn ipv6_loopback_is_not_public() {
        assert!(!is_public(IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)));
    }
}
