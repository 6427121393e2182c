//! A bounded map with O(1) eviction: two generations, as tests/reference/cache.py's BoundedCache.
//!
//! New entries go to the young generation; when it is full it becomes the old one and the previous old one
//! is dropped whole. A hit in the old generation moves the entry to the young one, so what is still in use
//! survives. At most `size` entries are held (two generations of `size / 2`), whatever the number of
//! distinct keys that pass through: memory is bounded by entries, never by the input.

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};

use crate::hashing::State;
use hashbrown::HashTable;

/// Keys are values from the logs, chosen by whoever writes them: the hasher is keyed with a seed drawn at
/// random per process (`crate::hashing::State`), so colliding keys cannot be prepared ahead; it costs a few
/// multiplications per key where std's SipHash-1-3 cost 10-15 % of a line.
#[derive(Clone, Debug)]
pub struct BoundedCache<K, V> {
    generation: usize,
    hasher: State,
    young: HashTable<(K, V)>,
    old: HashTable<(K, V)>,
}

impl<K: Hash + Eq, V> BoundedCache<K, V> {
    pub fn new(size: usize) -> Self {
        let generation = (size / 2).max(1);
        BoundedCache {
            generation,
            hasher: State::default(),
            young: HashTable::with_capacity(generation.min(1 << 16)),
            old: HashTable::new(),
        }
    }

    /// The value for `key`, moving it into the young generation if it was in the old one.
    pub fn get<Q>(&mut self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get_key_value(key).map(|(_, v)| v)
    }

    /// The stored key and value for `key` (the key may carry more than it is compared by).
    pub fn get_key_value<Q>(&mut self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        // One hash and, on a young hit, one probe: `K: Borrow<Q>` promises equal hashes for K and Q.
        let hash = self.hasher.hash_one(key);
        let eq = |(k, _): &(K, V)| k.borrow() == key;
        let young = match self.young.find_entry(hash, eq) {
            Ok(hit) => {
                let (k, v) = hit.into_mut();
                return Some((&*k, &*v));
            }
            Err(absent) => absent.into_table(),
        };
        let (entry, _) = self.old.find_entry(hash, eq).ok()?.remove();
        if young.len() >= self.generation {
            self.old = std::mem::replace(young, HashTable::with_capacity(self.generation));
        }
        let hasher = &self.hasher;
        let (k, v) = young
            .insert_unique(hash, entry, |(k, _)| hasher.hash_one(k))
            .into_mut();
        Some((&*k, &*v))
    }

    pub fn insert(&mut self, key: K, value: V) {
        if self.young.len() >= self.generation {
            // The new young generation is sized for what the last one held: no rehashing while it fills.
            let fresh = HashTable::with_capacity(self.generation);
            self.old = std::mem::replace(&mut self.young, fresh);
        }
        let hash = self.hasher.hash_one(&key);
        let hasher = &self.hasher;
        if let hashbrown::hash_table::Entry::Vacant(slot) =
            self.young
                .entry(hash, |(k, _)| *k == key, |(k, _)| hasher.hash_one(k))
        {
            slot.insert((key, value));
        }
    }

    /// Forgets `key` (to replace a value: `insert` keeps the one it finds).
    pub fn remove<Q>(&mut self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hasher.hash_one(key);
        let eq = |(k, _): &(K, V)| k.borrow() == key;
        if let Ok(hit) = self.young.find_entry(hash, eq) {
            hit.remove();
        }
        if let Ok(hit) = self.old.find_entry(hash, eq) {
            hit.remove();
        }
    }

    pub fn len(&self) -> usize {
        self.young.len() + self.old.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every entry whose key `keep` refuses (a window whose key was forgotten).
    pub fn retain(&mut self, mut keep: impl FnMut(&K) -> bool) {
        self.young.retain(|(k, _)| keep(k));
        self.old.retain(|(k, _)| keep(k));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn holds_at_most_size_entries() {
        let mut cache = BoundedCache::new(1000);
        for i in 0..100_000u32 {
            cache.insert(i, i);
            assert!(cache.len() <= 1000);
        }
        assert_eq!(cache.get(&99_999), Some(&99_999));
        assert_eq!(cache.get(&0), None);
    }

    #[test]
    fn what_is_used_survives() {
        let mut cache = BoundedCache::new(10);
        cache.insert("hot".to_string(), 1);
        for i in 0..1000 {
            cache.insert(format!("cold{i}"), i);
            assert_eq!(cache.get("hot"), Some(&1), "lost after {i}");
        }
    }

    #[test]
    fn a_size_below_two_still_caches() {
        let mut cache = BoundedCache::new(0);
        cache.insert(1, "a");
        assert_eq!(cache.get(&1), Some(&"a"));
        cache.insert(2, "b");
        assert_eq!(cache.get(&2), Some(&"b"));
        assert!(cache.len() <= 2);
    }

    #[test]
    fn retain_forgets_selected_keys() {
        let mut cache = BoundedCache::new(100);
        for i in 0..80 {
            cache.insert(i, i);
        }
        cache.retain(|k| k % 2 == 0);
        assert_eq!(cache.get(&3), None);
        assert_eq!(cache.get(&4), Some(&4));
    }

    #[test]
    fn remove_forgets_in_both_generations() {
        let mut cache = BoundedCache::new(4);
        for i in 0..4 {
            cache.insert(i, i);
        }
        cache.remove(&0); // in the old generation
        cache.remove(&3); // in the young one
        assert_eq!(cache.get(&0), None);
        assert_eq!(cache.get(&3), None);
        cache.insert(3, 30);
        assert_eq!(cache.get(&3), Some(&30));
        assert_eq!(cache.get(&1), Some(&1));
    }

    proptest! {
        #[test]
        fn never_a_wrong_value(ops in proptest::collection::vec((0u8..40, any::<bool>()), 0..400), size in 0usize..20) {
            let mut cache = BoundedCache::new(size);
            for (key, put) in ops {
                if put {
                    cache.insert(key, u32::from(key) * 7);
                } else if let Some(v) = cache.get(&key) {
                    prop_assert_eq!(*v, u32::from(key) * 7);
                }
                prop_assert!(cache.len() <= size.max(2));
            }
        }
    }
}
