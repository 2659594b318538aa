//! The map behind the in-process caches ([`crate::app::scope_cache`],
//! [`crate::queries::score_cache`], [`crate::performance::page_cache`]):
//! bounded in entries and, optionally, in a weight per value (bytes); past a
//! bound the entry written longest ago goes first. A read does not count
//! as a write: an entry is as new as its last insert (or
//! [`BoundedCache::write`]).

use std::collections::HashMap;
use std::hash::Hash;

pub struct BoundedCache<K, V> {
    /// Each value with the write stamp it was last written at.
    entries: HashMap<K, (u64, V)>,
    max_entries: usize,
    max_weight: usize,
    weigh: fn(&V) -> usize,
    weight: usize,
    written: u64,
}

impl<K: Eq + Hash + Clone, V> BoundedCache<K, V> {
    /// At most `max_entries` entries.
    pub fn new(max_entries: usize) -> Self {
        Self::weighed(max_entries, usize::MAX, |_| 0)
    }

    /// At most `max_entries` entries weighing `max_weight` together, each
    /// weighed by `weigh` when it is inserted.
    pub fn weighed(max_entries: usize, max_weight: usize, weigh: fn(&V) -> usize) -> Self {
        BoundedCache { entries: HashMap::new(), max_entries, max_weight, weigh, weight: 0, written: 0 }
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        self.entries.get(key).map(|(_, value)| value)
    }

    /// Keeps `value` under `key` as the newest entry, then drops the oldest
    /// past the bounds.
    pub fn insert(&mut self, key: K, value: V) {
        self.written += 1;
        self.weight += (self.weigh)(&value);
        if let Some((_, old)) = self.entries.insert(key, (self.written, value)) {
            self.weight -= (self.weigh)(&old);
        }
        self.evict();
    }

    /// The entry under `key` to change in place, made with `make` if there
    /// is none; either way it becomes the newest. Its weight stays the one
    /// measured when it was made.
    pub fn write(&mut self, key: &K, make: impl FnOnce() -> V) -> &mut V {
        self.written += 1;
        let written = self.written;
        if !self.entries.contains_key(key) {
            let value = make();
            self.weight += (self.weigh)(&value);
            self.entries.insert(key.clone(), (written, value));
            self.evict();
        }
        let (at, value) = self.entries.get_mut(key).expect("the newest entry is never evicted first");
        *at = written;
        value
    }

    /// Drops the oldest entries while a bound is exceeded.
    fn evict(&mut self) {
        while self.entries.len() > self.max_entries || self.weight > self.max_weight {
            let Some(oldest) = self.entries.iter().min_by_key(|(_, (at, _))| *at).map(|(k, _)| k.clone()) else {
                break;
            };
            if let Some((_, old)) = self.entries.remove(&oldest) {
                self.weight -= (self.weigh)(&old);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::BoundedCache;

    #[test]
    fn past_the_count_the_entry_written_longest_ago_goes() {
        let mut cache = BoundedCache::new(2);
        cache.insert("a", 1);
        cache.insert("b", 2);
        assert_eq!(cache.get(&"a"), Some(&1)); // a read does not make it newer
        cache.insert("a", 3); // a write does
        cache.insert("c", 4);
        assert_eq!((cache.get(&"a"), cache.get(&"b"), cache.get(&"c")), (Some(&3), None, Some(&4)));
    }

    #[test]
    fn write_makes_an_entry_once_and_makes_it_newest() {
        let mut cache: BoundedCache<&str, Vec<u8>> = BoundedCache::new(2);
        cache.write(&"a", Vec::new).push(1);
        cache.write(&"b", Vec::new).push(2);
        cache.write(&"a", Vec::new).push(3);
        cache.write(&"c", Vec::new).push(4);
        assert_eq!(cache.get(&"a"), Some(&vec![1, 3]));
        assert_eq!(cache.get(&"b"), None);
        assert_eq!(cache.get(&"c"), Some(&vec![4]));
    }

    #[test]
    fn past_the_weight_the_oldest_go_until_it_fits() {
        let mut cache: BoundedCache<u8, Vec<u8>> = BoundedCache::weighed(10, 10, Vec::len);
        cache.insert(1, vec![0; 4]);
        cache.insert(2, vec![0; 4]);
        cache.insert(1, vec![0; 2]); // replacing gives back the old weight: 6
        cache.insert(3, vec![0; 7]); // 13: key 2 (the oldest) goes, 9
        assert_eq!((cache.get(&1).map(Vec::len), cache.get(&2), cache.get(&3).map(Vec::len)), (Some(2), None, Some(7)));
        cache.insert(4, vec![0; 9]); // 18: 1 goes (11), then 3 (9)
        assert_eq!((cache.get(&1), cache.get(&3), cache.get(&4).map(Vec::len)), (None, None, Some(9)));
    }
}
