//! A bounded map from byte strings to byte strings (and a small value), with O(1) eviction: two generations,
//! as tests/reference/cache.py's BoundedCache.
//!
//! New entries go to the young generation; when it is full it becomes the old one and the previous old one
//! is dropped whole. A hit in the old generation moves the entry to the young one, so what is still in use
//! survives. At most `size` entries are held (two generations of `size / 2`), whatever the number of
//! distinct keys that pass through: memory is bounded by entries, never by the input.
//!
//! Each generation keeps the bytes of its entries (key, then payload) in one arena and only offsets in its
//! table. Dropping a generation is clearing a table and a vector whose memory the next generation reuses:
//! no allocation or free per entry. On a stream where values seldom repeat (fresh clients, numbers) a boxed
//! entry per value spent a fifth of the time in malloc and free.

use std::hash::BuildHasher;

use crate::hashing::State;
use hashbrown::HashTable;

/// Keys are values from the logs, chosen by whoever writes them: the hasher is keyed with a seed drawn at
/// random per process (`crate::hashing::State`), so colliding keys cannot be prepared ahead; it costs a few
/// multiplications per key where std's SipHash-1-3 cost 10-15 % of a line.
#[derive(Clone, Debug)]
pub struct BoundedCache<V> {
    generation: usize,
    hasher: State,
    young: Generation<V>,
    old: Generation<V>,
    /// When set, a key is stored only once its hash was seen before: a 16-bit tag of the last hash seen per
    /// slot of a direct-mapped table (0 for none). A value that occurs once (most of a stream of fresh
    /// clients, numbers and the messages that hold them) is then never copied into the cache, where it would
    /// only push out values that repeat. Every miss reads one slot at random, so the table is kept small
    /// enough to stay in the core's cache (whole 64-bit hashes made fresh values wait for memory a tenth of
    /// the time). A clash of tags (one miss in 65,535) merely stores a value early; no answer changes.
    doorkeeper: Option<Box<[u16]>>,
}

/// A key's hash under one cache's hasher (each cache draws its own seed), from a `lookup` that missed.
#[derive(Debug)]
pub struct Hashed(u64);

/// An entry: its key and payload at `start..` in the generation's arena, and its value.
#[derive(Clone, Debug)]
struct Slot<V> {
    start: u32,
    key_len: u32,
    payload_len: u32,
    value: V,
}

impl<V> Slot<V> {
    fn key<'a>(&self, arena: &'a [u8]) -> &'a [u8] {
        let start = self.start as usize;
        &arena[start..start + self.key_len as usize]
    }

    fn payload<'a>(&self, arena: &'a [u8]) -> &'a [u8] {
        let start = (self.start + self.key_len) as usize;
        &arena[start..start + self.payload_len as usize]
    }
}

#[derive(Clone, Debug)]
struct Generation<V> {
    table: HashTable<Slot<V>>,
    arena: Vec<u8>,
}

impl<V> Generation<V> {
    fn new() -> Self {
        Generation {
            table: HashTable::new(),
            arena: Vec::new(),
        }
    }

    fn clear(&mut self) {
        self.table.clear();
        self.arena.clear();
    }

    /// Whether `bytes` more fit the arena's u32 offsets.
    fn fits(&self, bytes: usize) -> bool {
        self.arena.len() + bytes <= u32::MAX as usize
    }

    /// Adds an entry known to be absent (the caller looked it up or just cleared the generation); its bucket.
    fn push(&mut self, hash: u64, key: &[u8], payload: &[u8], value: V, hasher: &State) -> usize {
        let start = self.arena.len() as u32;
        self.arena.extend_from_slice(key);
        self.arena.extend_from_slice(payload);
        let slot = Slot {
            start,
            key_len: key.len() as u32,
            payload_len: payload.len() as u32,
            value,
        };
        let arena = &self.arena;
        self.table
            .insert_unique(hash, slot, |s| hasher.hash_one(s.key(arena)))
            .bucket_index()
    }
}

impl<V> BoundedCache<V> {
    pub fn new(size: usize) -> Self {
        let generation = (size / 2).max(1);
        BoundedCache {
            generation,
            hasher: State::default(),
            // Tables grow with their entries: a probe reads a random group of the table's control bytes, and
            // a table sized for a full generation up front (128 KiB of them) misses the core's cache on
            // every lookup of a stream whose values seldom repeat, where the table stays nearly empty.
            young: Generation::new(),
            old: Generation::new(),
            doorkeeper: None,
        }
    }

    /// A cache that stores a key at its second sighting (see `doorkeeper`): for values whose miss costs
    /// about what storing them does, and which mostly occur once.
    pub fn on_second_sighting(size: usize) -> Self {
        let mut cache = Self::new(size);
        let slots = cache.generation.next_power_of_two();
        cache.doorkeeper = Some(vec![0; slots].into_boxed_slice());
        cache
    }

    /// Makes room for one entry of `bytes` in the young generation: when it is full it becomes the old one,
    /// and the old one's memory is reused for the new young generation.
    fn make_room(&mut self, bytes: usize) {
        if self.young.table.len() >= self.generation || !self.young.fits(bytes) {
            std::mem::swap(&mut self.young, &mut self.old);
            self.young.clear();
        }
    }

    /// The payload and value for `key`, moving the entry into the young generation if it was in the old one.
    pub fn get(&mut self, key: &[u8]) -> Option<(&[u8], &V)> {
        self.lookup(key).ok()
    }

    /// As `get`, but a miss hands back the key's hash for `insert_hashed`: a value that is looked up and then
    /// stored is hashed once.
    pub fn lookup(&mut self, key: &[u8]) -> Result<(&[u8], &V), Hashed> {
        // One hash and, on a young hit, one probe (the bucket's index holds no borrow, so the miss path may
        // change the generations).
        let hash = self.hasher.hash_one(key);
        let young = &self.young;
        let index = match young
            .table
            .find_bucket_index(hash, |s| s.key(&young.arena) == key)
        {
            Some(index) => index,
            None => self.promote(hash, key).ok_or(Hashed(hash))?,
        };
        let young = &self.young;
        let slot = young.table.get_bucket(index).expect("a held bucket");
        Ok((slot.payload(&young.arena), &slot.value))
    }

    /// Moves `key`'s entry from the old generation to the young one; its bucket there.
    fn promote(&mut self, hash: u64, key: &[u8]) -> Option<usize> {
        let old = &mut self.old;
        let arena = &old.arena;
        let (slot, _) = old
            .table
            .find_entry(hash, |s| s.key(arena) == key)
            .ok()?
            .remove();
        // The old arena stays as it is until the generation is dropped: copy the payload out of it.
        let payload = slot.payload(arena).to_vec();
        self.make_room(key.len() + payload.len());
        Some(
            self.young
                .push(hash, key, &payload, slot.value, &self.hasher),
        )
    }

    /// Adds `key` with its payload and value; an entry already held for `key` is kept as it is.
    pub fn insert(&mut self, key: &[u8], payload: &[u8], value: V) {
        let hashed = Hashed(self.hasher.hash_one(key));
        self.insert_hashed(hashed, key, payload, value);
    }

    /// `insert`, with the hash a missed `lookup` of `key` on this cache gave.
    pub fn insert_hashed(&mut self, Hashed(hash): Hashed, key: &[u8], payload: &[u8], value: V) {
        debug_assert_eq!(
            hash,
            self.hasher.hash_one(key),
            "a hash from another cache or key"
        );
        if let Some(seen) = &mut self.doorkeeper {
            let slot = &mut seen[hash as usize & (seen.len() - 1)];
            // Never 0, which marks an empty slot: a first sighting must not pass as a second.
            let tag = ((hash >> 48) as u16).max(1);
            if *slot != tag {
                *slot = tag;
                return;
            }
        }
        let young = &self.young;
        if young
            .table
            .find(hash, |s| s.key(&young.arena) == key)
            .is_some()
        {
            return;
        }
        self.make_room(key.len() + payload.len());
        self.young.push(hash, key, payload, value, &self.hasher);
    }

    /// Forgets `key` (to replace a value: `insert` keeps the one it finds).
    pub fn remove(&mut self, key: &[u8]) {
        let hash = self.hasher.hash_one(key);
        for generation in [&mut self.young, &mut self.old] {
            let arena = &generation.arena;
            if let Ok(hit) = generation.table.find_entry(hash, |s| s.key(arena) == key) {
                hit.remove();
            }
        }
    }

    pub fn len(&self) -> usize {
        self.young.table.len() + self.old.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every entry whose key `keep` refuses (a window whose key was forgotten).
    pub fn retain(&mut self, mut keep: impl FnMut(&[u8]) -> bool) {
        for generation in [&mut self.young, &mut self.old] {
            let arena = &generation.arena;
            generation.table.retain(|s| keep(s.key(arena)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(i: u32) -> [u8; 4] {
        i.to_le_bytes()
    }

    #[test]
    fn holds_at_most_size_entries() {
        let mut cache = BoundedCache::new(1000);
        for i in 0..100_000u32 {
            cache.insert(&key(i), b"", i);
            assert!(cache.len() <= 1000);
        }
        assert_eq!(cache.get(&key(99_999)), Some((&b""[..], &99_999)));
        assert_eq!(cache.get(&key(0)), None);
    }

    #[test]
    fn memory_is_reused_across_generations() {
        let mut cache = BoundedCache::new(100);
        for i in 0..10_000u32 {
            cache.insert(&key(i), &[7; 20], ());
        }
        // Two arenas of at most 50 entries of 24 bytes, however many entries went through.
        assert!(cache.young.arena.capacity() + cache.old.arena.capacity() <= 2 * 2 * 50 * 24);
    }

    #[test]
    fn a_missed_lookup_hands_its_hash_to_the_insert() {
        let mut cache = BoundedCache::on_second_sighting(100);
        for _ in 0..2 {
            let hashed = cache.lookup(b"key").expect_err("not held yet");
            cache.insert_hashed(hashed, b"key", b"p", 1);
        }
        assert_eq!(cache.lookup(b"key").ok(), Some((&b"p"[..], &1)));
    }

    #[test]
    fn a_doorkeeper_stores_a_key_at_its_second_sighting() {
        let mut cache = BoundedCache::on_second_sighting(100);
        cache.insert(b"twice", b"p", 1);
        assert_eq!(cache.get(b"twice"), None);
        cache.insert(b"twice", b"p", 1);
        assert_eq!(cache.get(b"twice"), Some((&b"p"[..], &1)));
        // A stream of values that occur once stores none of them, but for a clash of tags: the hasher's seed
        // is random and each fresh value clashes with its slot's tag once in 65,535, so 10,000 of them clash
        // about 0.15 times (seven or more: under one run in a billion). Without the doorkeeper the cache
        // would fill to 100.
        for i in 0..10_000u32 {
            cache.insert(&key(i), b"", 0);
        }
        assert!(cache.len() <= 1 + 6, "{} stored", cache.len());
    }

    #[test]
    fn what_is_used_survives() {
        let mut cache = BoundedCache::new(10);
        cache.insert(b"hot", b"payload", 1);
        for i in 0..1000 {
            cache.insert(format!("cold{i}").as_bytes(), b"", i);
            assert_eq!(
                cache.get(b"hot"),
                Some((&b"payload"[..], &1)),
                "lost after {i}"
            );
        }
    }

    #[test]
    fn a_size_below_two_still_caches() {
        let mut cache = BoundedCache::new(0);
        cache.insert(b"1", b"a", ());
        assert_eq!(cache.get(b"1"), Some((&b"a"[..], &())));
        cache.insert(b"2", b"b", ());
        assert_eq!(cache.get(b"2"), Some((&b"b"[..], &())));
        assert!(cache.len() <= 2);
    }

    #[test]
    fn insert_keeps_what_it_finds() {
        let mut cache = BoundedCache::new(10);
        cache.insert(b"k", b"first", 1);
        cache.insert(b"k", b"second", 2);
        assert_eq!(cache.get(b"k"), Some((&b"first"[..], &1)));
    }

    #[test]
    fn retain_forgets_selected_keys() {
        let mut cache = BoundedCache::new(100);
        for i in 0..80 {
            cache.insert(&key(i), b"", i);
        }
        cache.retain(|k| k[0] % 2 == 0);
        assert_eq!(cache.get(&key(3)), None);
        assert_eq!(cache.get(&key(4)), Some((&b""[..], &4)));
    }

    #[test]
    fn remove_forgets_in_both_generations() {
        let mut cache = BoundedCache::new(4);
        for i in 0..4 {
            cache.insert(&key(i), b"", i);
        }
        cache.remove(&key(0)); // in the old generation
        cache.remove(&key(3)); // in the young one
        assert_eq!(cache.get(&key(0)), None);
        assert_eq!(cache.get(&key(3)), None);
        cache.insert(&key(3), b"", 30);
        assert_eq!(cache.get(&key(3)), Some((&b""[..], &30)));
        assert_eq!(cache.get(&key(1)), Some((&b""[..], &1)));
    }

    proptest! {
        /// Against a plain map: a hit is always the value last inserted for a key not held at the time.
        #[test]
        fn never_a_wrong_value(
            ops in proptest::collection::vec((0u8..40, 0u8..4, any::<bool>()), 0..400),
            size in 0usize..20,
            doorkeeper: bool,
        ) {
            let mut cache = if doorkeeper {
                BoundedCache::on_second_sighting(size)
            } else {
                BoundedCache::new(size)
            };
            for (k, len, put) in ops {
                let payload = vec![k; len as usize];
                if put {
                    cache.insert(&[k], &payload, u32::from(k) * 7);
                } else if let Some((p, v)) = cache.get(&[k]) {
                    prop_assert_eq!(*v, u32::from(k) * 7);
                    // The payload a key was first held with: `insert` keeps what it finds.
                    prop_assert!(p.iter().all(|&b| b == k));
                }
                prop_assert!(cache.len() <= size.max(2));
            }
        }
    }
}
