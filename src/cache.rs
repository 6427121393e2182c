//! A bounded map with O(1) eviction: two generations, as pseudolog/cache.py's BoundedCache.
//!
//! New entries go to the young generation; when it is full it becomes the old one and the previous old one
//! is dropped whole. A hit in the old generation moves the entry to the young one, so what is still in use
//! survives. At most `size` entries are held (two generations of `size / 2`), whatever the number of
//! distinct keys that pass through: memory is bounded by entries, never by the input.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

#[derive(Clone, Debug)]
pub struct BoundedCache<K, V> {
    generation: usize,
    young: HashMap<K, V>,
    old: HashMap<K, V>,
}

impl<K: Hash + Eq, V> BoundedCache<K, V> {
    pub fn new(size: usize) -> Self {
        let generation = (size / 2).max(1);
        BoundedCache {
            generation,
            young: HashMap::with_capacity(generation.min(1 << 16)),
            old: HashMap::new(),
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
        // Two lookups on a young hit: returning the first one's borrow and inserting otherwise is what
        // today's borrow checker refuses.
        if !self.young.contains_key(key) {
            let (k, v) = self.old.remove_entry(key)?;
            self.insert(k, v);
        }
        self.young.get_key_value(key)
    }

    pub fn insert(&mut self, key: K, value: V) {
        if self.young.len() >= self.generation {
            // The new young generation is sized for what the last one held: no rehashing while it fills.
            let fresh = HashMap::with_capacity(self.generation);
            self.old = std::mem::replace(&mut self.young, fresh);
        }
        self.young.entry(key).or_insert(value);
    }

    pub fn len(&self) -> usize {
        self.young.len() + self.old.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every entry whose key `keep` refuses (a window whose key was forgotten).
    pub fn retain(&mut self, mut keep: impl FnMut(&K) -> bool) {
        self.young.retain(|k, _| keep(k));
        self.old.retain(|k, _| keep(k));
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
