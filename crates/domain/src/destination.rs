//! Where our server may send requests on a merchant's behalf.
//!
//! A merchant's `returnUrl` makes SimplePG send requests wherever it points. Left open, that is a
//! server-side request forgery: `http://169.254.169.254/` (cloud metadata), `http://127.0.0.1:3306/`
//! or an internal admin service. The [`DestinationPolicy`] decides which IP addresses merchant
//! traffic may reach; the outbound adapter applies it to the **resolved** address at connect
//! time (so a name that later resolves inside is refused too), and registration applies it to
//! literal addresses through [`ReturnUrlPolicy`].

use std::{fmt, net::IpAddr};

use ipnet::IpNet;

use crate::named_enum::named_enum;
use crate::{merchant::ReturnUrl, validation::Invalid};

named_enum! {
    /// The kind of a non-public address, named in refusals.
    pub enum AddressClass {
        /// `127.0.0.0/8`, `::1`.
        Loopback = "loopback",
        /// RFC 1918 `10/8`, `172.16/12`, `192.168/16`; unique-local `fc00::/7`.
        Private = "private",
        /// Shared address space `100.64.0.0/10` (carrier-grade NAT, RFC 6598).
        Shared = "shared (carrier-grade NAT)",
        /// `169.254.0.0/16` (where cloud metadata lives), `fe80::/10`.
        LinkLocal = "link-local",
        /// `224.0.0.0/4`, `ff00::/8`, and the IPv4 broadcast address.
        Multicast = "multicast",
        /// `0.0.0.0/8`, `::`.
        Unspecified = "unspecified",
        /// `240.0.0.0/4` (reserved for future use).
        Reserved = "reserved",
    }
}

/// The class of a non-public address, `None` for a public (globally routable) one. An IPv6
/// address that embeds an IPv4 one (`::ffff:10.0.0.1`, `::10.0.0.1`) is judged by the IPv4 one.
pub fn classify(ip: IpAddr) -> Option<AddressClass> {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            if v4.is_loopback() {
                Some(AddressClass::Loopback)
            } else if v4.is_private() {
                Some(AddressClass::Private)
            } else if a == 100 && (64..128).contains(&b) {
                Some(AddressClass::Shared)
            } else if v4.is_link_local() {
                Some(AddressClass::LinkLocal)
            } else if v4.is_multicast() || v4.is_broadcast() {
                Some(AddressClass::Multicast)
            } else if a == 0 {
                Some(AddressClass::Unspecified)
            } else if a >= 240 {
                Some(AddressClass::Reserved)
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return classify(IpAddr::V4(v4));
            }
            let segments = v6.segments();
            if v6.is_loopback() {
                Some(AddressClass::Loopback)
            } else if v6.is_unspecified() {
                Some(AddressClass::Unspecified)
            } else if segments[..6] == [0; 6] {
                // IPv4-compatible (deprecated) `::a.b.c.d`.
                classify(IpAddr::V4(std::net::Ipv4Addr::from(
                    (u32::from(segments[6]) << 16) | u32::from(segments[7]),
                )))
            } else if segments[0] & 0xfe00 == 0xfc00 {
                Some(AddressClass::Private)
            } else if segments[0] & 0xffc0 == 0xfe80 {
                Some(AddressClass::LinkLocal)
            } else if v6.is_multicast() {
                Some(AddressClass::Multicast)
            } else {
                None
            }
        }
    }
}

/// Why an address may not be reached.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error(
    "{address} is not a public address ({class}); merchant URLs may reach it only if outbound.allowed_private_cidrs includes it"
)]
pub struct BlockedAddress {
    pub address: IpAddr,
    pub class: AddressClass,
}

/// A network in CIDR notation, e.g. `10.20.0.0/16` or `::1/128`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Cidr(IpNet);

impl Cidr {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        raw.trim()
            .parse::<IpNet>()
            .map(|net| Self(net.trunc()))
            .map_err(|_| {
                Invalid::new(format!(
                    "{raw:?} is not a network in CIDR notation (e.g. 10.0.0.0/8)"
                ))
            })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.contains(&ip)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Which addresses merchant traffic may reach: every public address, and the non-public ones
/// inside `allowed` (e.g. loopback for a local sandbox, or a partner's private network). The
/// default refuses every non-public address.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct DestinationPolicy {
    allowed: Vec<Cidr>,
}

impl DestinationPolicy {
    /// Refuses every non-public address but those inside `allowed`.
    pub fn public_only_except(allowed: Vec<Cidr>) -> Self {
        Self { allowed }
    }

    pub fn check(&self, address: IpAddr) -> Result<(), BlockedAddress> {
        if self.allowed.iter().any(|net| net.contains(address)) {
            return Ok(());
        }
        match classify(address) {
            Some(class) => Err(BlockedAddress { address, class }),
            None => Ok(()),
        }
    }

    /// Checks the host of `url` when it is a literal address (which no resolver sees); a host
    /// name passes here and is checked on the address it resolves to, when connecting. The one
    /// place both a merchant's `returnUrl` and every outbound request are judged by.
    pub fn check_url(&self, url: &url::Url) -> Result<(), BlockedAddress> {
        literal_ip(url).map_or(Ok(()), |ip| self.check(ip))
    }
}

/// The host of `url` when it is a literal IP address (in any spelling the URL standard accepts,
/// e.g. `http://0x7f.1/` is 127.0.0.1), `None` for a host name.
pub fn literal_ip(url: &url::Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(v4) => Some(v4.into()),
        url::Host::Ipv6(v6) => Some(v6.into()),
        url::Host::Domain(_) => None,
    }
}

/// What a merchant's `returnUrl` must satisfy beyond being a well-formed URL.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct ReturnUrlPolicy {
    /// `http://` URLs are accepted (local and test profiles); otherwise only `https://`.
    pub allow_plain_http: bool,
    pub destinations: DestinationPolicy,
}

impl ReturnUrlPolicy {
    /// Refuses a plain-http URL where https is required, and a literal address the destination
    /// policy refuses. A host name is resolved only when a request is sent (and checked then).
    pub fn check(&self, url: &ReturnUrl) -> Result<(), Invalid> {
        if url.scheme() == "http" && !self.allow_plain_http {
            return Err(Invalid::new(
                "must be an https URL (plain http is refused unless security.allow_plain_http_webhooks is set)",
            ));
        }
        self.destinations
            .check_url(url.as_url())
            .map_err(|blocked| Invalid::new(format!("must not point at {blocked}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(raw: &str) -> IpAddr {
        raw.parse().unwrap()
    }

    #[test]
    fn every_non_public_range_is_classified() {
        let cases = [
            ("127.0.0.1", AddressClass::Loopback),
            ("127.255.0.9", AddressClass::Loopback),
            ("::1", AddressClass::Loopback),
            ("10.1.2.3", AddressClass::Private),
            ("172.16.0.1", AddressClass::Private),
            ("172.31.255.254", AddressClass::Private),
            ("192.168.1.1", AddressClass::Private),
            ("fd12:3456::1", AddressClass::Private),
            ("fc00::1", AddressClass::Private),
            ("100.64.0.1", AddressClass::Shared),
            ("169.254.169.254", AddressClass::LinkLocal),
            ("fe80::1", AddressClass::LinkLocal),
            ("224.0.0.1", AddressClass::Multicast),
            ("255.255.255.255", AddressClass::Multicast),
            ("ff02::1", AddressClass::Multicast),
            ("0.0.0.0", AddressClass::Unspecified),
            ("0.1.2.3", AddressClass::Unspecified),
            ("::", AddressClass::Unspecified),
            ("240.0.0.1", AddressClass::Reserved),
            ("::ffff:10.0.0.1", AddressClass::Private),
            ("::ffff:127.0.0.1", AddressClass::Loopback),
            ("::ffff:169.254.169.254", AddressClass::LinkLocal),
            ("::192.168.0.1", AddressClass::Private),
        ];
        for (raw, class) in cases {
            assert_eq!(classify(ip(raw)), Some(class), "{raw}");
        }
    }

    #[test]
    fn public_addresses_are_not_classified() {
        for raw in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "192.169.0.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert_eq!(classify(ip(raw)), None, "{raw}");
        }
    }

    #[test]
    fn the_policy_refuses_non_public_addresses_unless_their_network_is_allowed() {
        let policy = DestinationPolicy::public_only_except(vec![
            Cidr::parse("127.0.0.0/8").unwrap(),
            Cidr::parse("10.20.0.0/16").unwrap(),
        ]);
        assert!(policy.check(ip("127.0.0.1")).is_ok());
        assert!(policy.check(ip("10.20.3.4")).is_ok());
        assert!(policy.check(ip("8.8.8.8")).is_ok());
        let refused = policy.check(ip("10.21.0.1")).unwrap_err();
        assert_eq!(refused.class, AddressClass::Private);
        assert!(
            refused
                .to_string()
                .starts_with("10.21.0.1 is not a public address (private)")
        );
        assert!(policy.check(ip("169.254.169.254")).is_err());
        assert!(policy.check(ip("::1")).is_err());
        let everything = DestinationPolicy::public_only_except(vec![
            Cidr::parse("0.0.0.0/0").unwrap(),
            Cidr::parse("::/0").unwrap(),
        ]);
        assert!(everything.check(ip("169.254.169.254")).is_ok());
    }

    #[test]
    fn cidrs_parse_and_normalise_host_bits() {
        assert_eq!(Cidr::parse("10.1.2.3/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(Cidr::parse(" ::1/128 ").unwrap().to_string(), "::1/128");
        assert!(Cidr::parse("10.0.0.0").is_err());
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("localhost/8").is_err());
    }

    #[test]
    fn return_urls_must_be_https_unless_plain_http_is_allowed() {
        let strict = ReturnUrlPolicy {
            allow_plain_http: false,
            destinations: DestinationPolicy::public_only_except(vec![]),
        };
        let url = ReturnUrl::parse("http://shop.example/hook").unwrap();
        assert!(strict.check(&url).unwrap_err().0.contains("https"));
        assert!(
            strict
                .check(&ReturnUrl::parse("https://shop.example/hook").unwrap())
                .is_ok()
        );
        let lax = ReturnUrlPolicy {
            allow_plain_http: true,
            ..strict
        };
        assert!(lax.check(&url).is_ok());
    }

    #[test]
    fn return_urls_with_a_literal_non_public_address_are_refused() {
        let policy = ReturnUrlPolicy {
            allow_plain_http: true,
            destinations: DestinationPolicy::public_only_except(vec![
                Cidr::parse("127.0.0.0/8").unwrap(),
            ]),
        };
        for raw in [
            "https://10.0.0.1/hook",
            "https://169.254.169.254/latest/meta-data/",
            "https://[::1]/hook",
            "https://[fd00::1]:8443/hook",
            "https://0.0.0.0/",
            "https://[::ffff:192.168.1.1]/",
        ] {
            let err = policy.check(&ReturnUrl::parse(raw).unwrap()).unwrap_err();
            assert!(err.0.starts_with("must not point at"), "{raw}: {err}");
        }
        assert!(
            policy
                .check(&ReturnUrl::parse("http://127.0.0.1:9000/hook").unwrap())
                .is_ok()
        );
        // A name is judged when it is resolved, at send time.
        assert!(
            policy
                .check(&ReturnUrl::parse("https://internal.example/").unwrap())
                .is_ok()
        );
    }

    #[test]
    fn literal_addresses_are_recognised_in_every_spelling() {
        let ip = |raw: &str| literal_ip(ReturnUrl::parse(raw).unwrap().as_url());
        assert_eq!(
            ip("http://127.0.0.1:8080/"),
            Some("127.0.0.1".parse().unwrap())
        );
        assert_eq!(ip("http://0x7f.1/"), Some("127.0.0.1".parse().unwrap()));
        assert_eq!(ip("http://2130706433/"), Some("127.0.0.1".parse().unwrap()));
        assert_eq!(ip("https://[::1]/"), Some("::1".parse().unwrap()));
        assert_eq!(ip("https://shop.example/"), None);
    }
}
