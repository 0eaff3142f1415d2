//! The per-address limit on sign-in work (passwords, codes, reset requests, passkey starts),
//! checked before anything costly runs. Addresses are counted by what one client controls: an
//! IPv4 address, or an IPv6 /64 (one household or phone gets a whole /64, so counting single
//! IPv6 addresses would let it try 2^64 times). Keys that have recovered their full allowance
//! are pruned, so a scan from many addresses cannot grow the table without bound.

use std::{
    net::{IpAddr, Ipv6Addr},
    num::NonZeroU32,
};

use governor::{
    clock::{Clock as _, DefaultClock},
    DefaultKeyedRateLimiter, Quota, RateLimiter,
};

pub struct AddressLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl AddressLimiter {
    /// `attempts` per minute per address, with that many allowed at once.
    pub fn per_minute(attempts: u32) -> Self {
        Self::with_quota(Quota::per_minute(
            NonZeroU32::new(attempts).unwrap_or(NonZeroU32::MIN),
        ))
    }

    pub fn with_quota(quota: Quota) -> Self {
        Self {
            limiter: RateLimiter::keyed(quota),
        }
    }

    /// The key an address is counted under: IPv4 as it is, IPv6 by its /64 network.
    pub fn key(ip: IpAddr) -> IpAddr {
        match ip.to_canonical() {
            IpAddr::V6(v6) => {
                let network = u128::from(v6) & (u128::MAX << 64);
                IpAddr::V6(Ipv6Addr::from(network))
            }
            v4 => v4,
        }
    }

    /// `Err(seconds)` to wait when the address has used its allowance.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        self.limiter.check_key(&Self::key(ip)).map_err(|not_until| {
            not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                .max(1)
        })
    }

    /// Forgets the addresses that have their whole allowance back.
    pub fn prune(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    /// How many addresses are remembered.
    pub fn len(&self) -> usize {
        self.limiter.len()
    }

    pub fn is_empty(&self) -> bool {
        self.limiter.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    #[test]
    fn one_ipv6_network_is_one_client() {
        let limiter = AddressLimiter::per_minute(1);
        assert_eq!(limiter.check(ip("2001:db8:1:2::1")), Ok(()));
        assert!(
            limiter.check(ip("2001:db8:1:2:ffff::9")).is_err(),
            "same /64"
        );
        assert_eq!(limiter.check(ip("2001:db8:1:3::1")), Ok(()), "next /64");
        assert_eq!(limiter.check(ip("192.0.2.1")), Ok(()));
        assert!(
            limiter.check(ip("::ffff:192.0.2.1")).is_err(),
            "the same IPv4"
        );
        assert_eq!(limiter.check(ip("192.0.2.2")), Ok(()));
    }

    #[test]
    fn recovered_addresses_are_forgotten() {
        // One attempt every millisecond, so the allowance is back almost at once.
        let quota = Quota::with_period(std::time::Duration::from_millis(1))
            .expect("a period")
            .allow_burst(NonZeroU32::MIN);
        let limiter = AddressLimiter::with_quota(quota);
        for n in 0..2000u32 {
            let _ = limiter.check(IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + n)));
        }
        assert_eq!(limiter.len(), 2000);
        std::thread::sleep(std::time::Duration::from_millis(20));
        limiter.prune();
        assert!(limiter.is_empty(), "{} left", limiter.len());

        // A slow quota keeps what is still waiting.
        let slow = AddressLimiter::per_minute(1);
        let _ = slow.check(ip("198.51.100.7"));
        slow.prune();
        assert_eq!(slow.len(), 1);
    }
}
