//! The destination policy at connect time: merchant URLs reach only the addresses the policy
//! allows. Names are resolved here and only allowed addresses are handed to the connector, so
//! the address checked is the address connected to (a name that resolves inside, or starts to —
//! DNS rebinding — is refused). Literal addresses never reach a resolver and are checked before
//! the request is made.

use std::{error::Error, fmt, net::SocketAddr, sync::Arc};

use domain::destination::{BlockedAddress, DestinationPolicy};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// A merchant destination the policy refuses.
#[derive(Debug)]
pub struct Blocked {
    pub host: String,
    pub refusal: BlockedAddress,
}

impl fmt::Display for Blocked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host == self.refusal.address.to_string() {
            write!(f, "blocked: {}", self.refusal)
        } else {
            write!(f, "blocked: {} resolves to {}", self.host, self.refusal)
        }
    }
}

impl Error for Blocked {}

/// Resolves with the system resolver, then drops the addresses the policy refuses; fails with
/// [`Blocked`] when none is left.
pub struct GuardedResolver {
    policy: Arc<DestinationPolicy>,
}

impl GuardedResolver {
    pub fn new(policy: Arc<DestinationPolicy>) -> Self {
        Self { policy }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let (allowed, refusal) = filter(&policy, resolved);
            match (allowed.is_empty(), refusal) {
                (true, Some(refusal)) => {
                    let blocked: Box<dyn Error + Send + Sync> = Box::new(Blocked { host, refusal });
                    Err(blocked)
                }
                _ => Ok(Box::new(allowed.into_iter()) as Addrs),
            }
        })
    }
}

/// The addresses the policy allows, and the first refusal (for the error when none is left).
fn filter(
    policy: &DestinationPolicy,
    resolved: Vec<SocketAddr>,
) -> (Vec<SocketAddr>, Option<BlockedAddress>) {
    let mut refusal = None;
    let allowed = resolved
        .into_iter()
        .filter(|addr| match policy.check(addr.ip()) {
            Ok(()) => true,
            Err(e) => {
                refusal.get_or_insert(e);
                false
            }
        })
        .collect();
    (allowed, refusal)
}

/// Checks a URL whose host is a literal address (which no resolver sees); a URL with a name,
/// or one that does not parse (the client reports that), passes here.
pub fn check_literal(policy: &DestinationPolicy, url: &str) -> Result<(), String> {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return Ok(());
    };
    policy.check_url(&parsed).map_err(|refusal| {
        Blocked {
            host: refusal.address.to_string(),
            refusal,
        }
        .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::destination::Cidr;

    fn loopback_allowed() -> DestinationPolicy {
        DestinationPolicy::public_only_except(vec![Cidr::parse("127.0.0.0/8").unwrap()])
    }

    #[test]
    fn literal_non_public_addresses_are_refused_before_any_connection() {
        let policy = loopback_allowed();
        assert!(check_literal(&policy, "http://127.0.0.1:9/x").is_ok());
        assert!(check_literal(&policy, "https://shop.example/x").is_ok());
        let err = check_literal(&policy, "http://169.254.169.254/latest/meta-data/").unwrap_err();
        assert!(
            err.starts_with("blocked: 169.254.169.254 is not a public address (link-local)"),
            "{err}"
        );
        assert!(check_literal(&policy, "http://[::1]:8080/").is_err());
        assert!(
            check_literal(&policy, "http://0x0a.1/").is_err(),
            "10.0.0.1 spelled in hex"
        );
    }

    #[test]
    fn resolved_addresses_outside_the_policy_are_dropped() {
        let policy = DestinationPolicy::public_only_except(vec![]);
        let (allowed, refusal) = filter(
            &policy,
            vec![
                "10.0.0.7:443".parse().unwrap(),
                "93.184.216.34:443".parse().unwrap(),
            ],
        );
        assert_eq!(allowed, vec!["93.184.216.34:443".parse().unwrap()]);
        assert_eq!(refusal.unwrap().address.to_string(), "10.0.0.7");
    }

    #[tokio::test]
    async fn a_name_that_resolves_to_loopback_is_refused() {
        let resolver =
            GuardedResolver::new(Arc::new(DestinationPolicy::public_only_except(vec![])));
        let err = match resolver.resolve("localhost".parse().unwrap()).await {
            Ok(addrs) => panic!("resolved to {:?}", addrs.collect::<Vec<_>>()),
            Err(e) => e,
        };
        let blocked = err.downcast_ref::<Blocked>().expect("a Blocked error");
        assert!(
            blocked
                .to_string()
                .starts_with("blocked: localhost resolves to "),
            "{blocked}"
        );
    }
}
