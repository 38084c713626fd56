//! The snapshot writer and loader's unit tests: round trips, every flipped byte and
//! truncation refused, versions, compression.

use super::*;

fn sample() -> Store {
    let mut s = Store::new(16);
    s.load(0, b"plain", Value::string(b"hello"), Ttl::Clear, 0);
    s.load(0, b"int", Value::string(b"-12345"), Ttl::Clear, 0);
    s.load(0, b"big", Value::string(&vec![7u8; 100_000]), Ttl::Clear, 0);
    s.load(
        0,
        b"\x00bin\xff",
        Value::string(b"\r\n\x00"),
        Ttl::At(u64::MAX / 2),
        0,
    );
    s.load(3, b"other-db", Value::string(b"x"), Ttl::Clear, 0);
    s.load(0, b"gone", Value::string(b"x"), Ttl::At(5), 0);
    s
}

/// Every record kind, small enough to corrupt at each byte (the 32-bit length form
/// included: one 20 KB value).
fn small_sample() -> Store {
    let mut s = Store::new(16);
    s.load(0, b"plain", Value::string(b"hello"), Ttl::Clear, 0);
    s.load(0, b"int", Value::string(b"-12345"), Ttl::Clear, 0);
    s.load(0, b"mid", Value::string(&vec![7u8; 20_000]), Ttl::Clear, 0);
    s.load(
        0,
        b"\x00bin",
        Value::string(b"\r\n"),
        Ttl::At(u64::MAX / 2),
        0,
    );
    s.load(3, b"other-db", Value::string(b"x"), Ttl::Clear, 0);
    let stream = crate::persistence::snapshot_stream::tests::sample_stream();
    s.load(2, b"stream", Value::Stream(Box::new(stream)), Ttl::Clear, 0);
    s
}

fn roundtrip(s: &Store) -> (Store, Loaded) {
    let mut buf = Vec::new();
    write(s, &mut buf, 10, true).unwrap();
    let mut t = Store::new(16);
    let loaded = load(&buf[..], None, &mut t, 10).unwrap();
    (t, loaded)
}

#[test]
fn round_trip_keeps_values_encodings_and_deadlines() {
    let s = sample();
    let (t, loaded) = roundtrip(&s);
    assert_eq!(loaded.keys, 5);
    for (i, db) in s.dbs().iter().enumerate() {
        for (k, v) in db.entries() {
            if k == b"gone" {
                assert!(t.db(i).get(k).is_none());
                continue;
            }
            assert_eq!(t.db(i).get(k), Some(v), "{k:?}");
            assert_eq!(t.db(i).deadline(k), db.deadline(k));
        }
    }
    assert_eq!(t.db(0).get(b"int").unwrap().encoding(), "int");
}

#[test]
fn collections_round_trip_with_their_encodings() {
    let limits = crate::store::types::Limits::default();
    let mut s = Store::new(16);
    let mut l = List::new();
    l.items
        .extend([b"a".to_vec(), b"".to_vec(), b"\x00\xff".to_vec()]);
    s.load(0, b"list", Value::List(Box::new(l)), Ttl::Clear, 0);
    let mut small = Hash::default();
    small.insert(b"f", b"v", &limits);
    s.load(
        0,
        b"hash",
        Value::Hash(Box::new(small)),
        Ttl::At(u64::MAX / 2),
        0,
    );
    let mut big = Hash::default();
    for i in 0..600 {
        big.insert(format!("f{i}").as_bytes(), b"v", &limits);
    }
    s.load(0, b"bighash", Value::Hash(Box::new(big)), Ttl::Clear, 0);
    let mut ints = Set::default();
    ints.insert(b"1", &limits);
    ints.insert(b"-7", &limits);
    s.load(0, b"ints", Value::Set(Box::new(ints)), Ttl::Clear, 0);
    let mut words = Set::default();
    words.insert(b"x", &limits);
    s.load(1, b"words", Value::Set(Box::new(words)), Ttl::Clear, 0);
    let mut z = ZSet::default();
    z.insert(b"m", 1.5, &limits);
    z.insert(b"n", f64::NEG_INFINITY, &limits);
    s.load(1, b"z", Value::ZSet(Box::new(z)), Ttl::Clear, 0);
    let (t, loaded) = roundtrip(&s);
    assert_eq!(loaded.keys, 6);
    for (i, db) in s.dbs().iter().enumerate() {
        for (k, v) in db.entries() {
            let got = t.db(i).get(k).unwrap();
            assert_eq!(got, v, "{k:?}");
            assert_eq!(got.encoding(), v.encoding(), "{k:?}");
        }
    }
}

#[test]
fn every_flipped_byte_is_refused() {
    let mut buf = Vec::new();
    write(&small_sample(), &mut buf, 10, true).unwrap();
    // Every byte outside the long value, and a stride through it.
    for i in (0..buf.len()).filter(|i| *i < 60 || *i > buf.len() - 80 || i % 997 == 0) {
        let mut bad = buf.clone();
        bad[i] ^= 0x20;
        let mut t = Store::new(16);
        assert!(
            load(&bad[..], None, &mut t, 10).is_err(),
            "flip at {i} accepted"
        );
    }
}

#[test]
fn every_truncation_is_refused() {
    let mut buf = Vec::new();
    write(&small_sample(), &mut buf, 10, true).unwrap();
    for n in (0..buf.len()).filter(|i| *i < 60 || *i > buf.len() - 80 || i % 997 == 0) {
        let mut t = Store::new(16);
        let err = load(&buf[..n], None, &mut t, 10).unwrap_err();
        assert!(err.offset <= n as u64, "{err}");
    }
}

#[test]
fn redis_rdb_and_future_versions_are_named() {
    let mut t = Store::new(16);
    let err = load(&b"REDIS0011\xfa\x09redis-ver"[..], None, &mut t, 0).unwrap_err();
    assert!(err.what.contains("RDB format version 11"), "{err}");
    let err = load(&b"REDUST9999\xff\0\0\0\0"[..], None, &mut t, 0).unwrap_err();
    assert!(err.what.contains("newer"), "{err}");
}

#[test]
fn long_strings_are_compressed_and_version_3_files_still_load() {
    let mut s = Store::new(16);
    for i in 0..200 {
        let v = format!("{i}:").repeat(100);
        s.load(
            0,
            format!("key:{i}").as_bytes(),
            Value::string(v.as_bytes()),
            Ttl::Clear,
            0,
        );
    }
    let (mut small, mut plain) = (Vec::new(), Vec::new());
    write(&s, &mut small, 0, true).unwrap();
    write(&s, &mut plain, 0, false).unwrap();
    assert!(
        small.len() * 5 < plain.len(),
        "{} vs {}",
        small.len(),
        plain.len()
    );
    let mut t = Store::new(16);
    assert_eq!(load(&small[..], None, &mut t, 0).unwrap().keys, 200);
    assert_eq!(t.db(0).get(b"key:7"), s.db(0).get(b"key:7"));
    // The same data as version 3 wrote it (no compression): it loads.
    plain[6..10].copy_from_slice(b"0003");
    let body = plain.len() - 4;
    let crc = crc32fast::hash(&plain[..body]);
    plain[body..].copy_from_slice(&crc.to_le_bytes());
    let mut t = Store::new(16);
    assert_eq!(load(&plain[..], None, &mut t, 0).unwrap().keys, 200);
    // A version 3 file cannot hold a compressed string.
    small[6..10].copy_from_slice(b"0003");
    let body = small.len() - 4;
    let crc = crc32fast::hash(&small[..body]);
    small[body..].copy_from_slice(&crc.to_le_bytes());
    assert!(load(&small[..], None, &mut Store::new(16), 0).is_err());
}

#[test]
fn huge_declared_lengths_allocate_nothing() {
    // SELECT 0, then a string key claiming 2^63 bytes, then nothing.
    let mut f = b"REDUST0001\xfe\x00\x00\x81".to_vec();
    f.extend_from_slice(&(1u64 << 63).to_be_bytes());
    let mut t = Store::new(16);
    let err = load(&f[..], None, &mut t, 0).unwrap_err();
    assert!(err.what.contains("truncated"), "{err}");
}
