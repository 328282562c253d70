//! Per-address accounting: connections held, messages and joins spent. An
//! address's record outlives its connections until its buckets refill,
//! so reconnecting does not reset them.

use super::limits::{Bucket, Limits};
use super::rooms::Rooms;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

/// The key limits count by: an IPv4 address, or an IPv6 address's /64
/// (one subscriber usually holds a whole /64).
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut octets = v6.octets();
                octets[8..].fill(0);
                IpAddr::V6(octets.into())
            }
        },
    }
}

pub(crate) struct Record {
    connections: usize,
    messages: Bucket,
    joins: Bucket,
}

#[derive(Default)]
pub(crate) struct Addresses {
    records: HashMap<IpAddr, Record>,
    /// Size after the last sweep: sweeping again once it doubled keeps the
    /// cost amortised O(1) per new address.
    swept: usize,
}

impl Addresses {
    fn record(&mut self, key: IpAddr, limits: &Limits) -> &mut Record {
        if self.records.len() >= 2 * self.swept + 1024 {
            // Forget addresses with nothing open and nothing owed.
            self.records.retain(|_, r| {
                r.connections > 0
                    || !r.messages.is_full(limits.address_rate)
                    || !r.joins.is_full(limits.address_joins)
            });
            self.swept = self.records.len();
        }
        self.records.entry(key).or_insert_with(|| Record {
            connections: 0,
            messages: Bucket::full(limits.address_rate),
            joins: Bucket::full(limits.address_joins),
        })
    }

    pub(crate) fn take_message(&mut self, key: IpAddr, limits: &Limits) -> bool {
        self.record(key, limits).messages.take(limits.address_rate)
    }

    pub(crate) fn take_join(&mut self, key: IpAddr, limits: &Limits) -> bool {
        self.record(key, limits).joins.take(limits.address_joins)
    }
}

/// One connection counted against an address; released when dropped.
pub(crate) struct AddressGuard {
    rooms: Arc<Rooms>,
    key: IpAddr,
}

impl Drop for AddressGuard {
    fn drop(&mut self) {
        if let Some(record) = self.rooms.addresses().records.get_mut(&self.key) {
            record.connections = record.connections.saturating_sub(1);
        }
    }
}

/// Counts a connection from `key`, unless the address holds its maximum.
pub(crate) fn acquire(rooms: &Arc<Rooms>, key: IpAddr) -> Option<AddressGuard> {
    let limits = rooms.limits();
    let mut addresses = rooms.addresses();
    let record = addresses.record(key, limits);
    if record.connections >= limits.max_per_address {
        return None;
    }
    record.connections += 1;
    drop(addresses);
    Some(AddressGuard {
        rooms: rooms.clone(),
        key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_counts_by_its_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(other));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(address_key(mapped), "10.0.0.1".parse::<IpAddr>().unwrap());
        let v4: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(address_key(v4), v4);
    }
}
