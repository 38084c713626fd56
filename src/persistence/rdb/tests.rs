//! Round trips of every type through the RDB encoding.

use super::*;
use crate::store::types::{Hash, Limits, List, Set, ZSet};
use crate::store::Value;

fn roundtrip(v: &Value) -> Value {
    let p = encode::dump_payload(v, true);
    restore_payload(&p, &Limits::default()).expect("restores")
}

#[test]
fn every_type_round_trips_in_its_encoding() {
    let limits = Limits::default();
    let mut values = vec![
        Value::string(b"hello"),
        Value::string(b"12345"),
        Value::string(b"-5000000000"),
        Value::string(&[b'a'; 300]),
    ];
    let mut l = List::new();
    for i in 0..3000 {
        l.items.push_back(format!("item {i}").into_bytes());
    }
    values.push(Value::List(Box::new(l)));
    for n in [3, 600] {
        let mut h = Hash::default();
        let mut s = Set::default();
        let mut words = Set::default();
        let mut z = ZSet::default();
        for i in 0..n {
            h.insert(
                format!("f{i}").as_bytes(),
                format!("{i}").as_bytes(),
                &limits,
            );
            s.insert(format!("{}", i * 1000 - 7).as_bytes(), &limits);
            words.insert(format!("w{i}").as_bytes(), &limits);
            z.insert(format!("m{i}").as_bytes(), i as f64 / 3.0, &limits);
        }
        values.push(Value::Hash(Box::new(h)));
        values.push(Value::Set(Box::new(s)));
        values.push(Value::Set(Box::new(words)));
        values.push(Value::ZSet(Box::new(z)));
    }
    let stream = crate::persistence::snapshot_stream::tests::sample_stream();
    values.push(Value::Stream(Box::new(stream)));
    for v in &values {
        let back = roundtrip(v);
        assert_eq!(&back, v);
        assert_eq!(back.encoding(), v.encoding());
    }
}

#[test]
fn payload_errors() {
    let p = encode::dump_payload(&Value::string(b"x"), true);
    let mut bad = p.clone();
    bad[1] ^= 1;
    assert_eq!(
        restore_payload(&bad, &Limits::default()),
        Err(PayloadError::VersionOrChecksum)
    );
    assert_eq!(
        restore_payload(b"short", &Limits::default()),
        Err(PayloadError::VersionOrChecksum)
    );
    let mut garbage = vec![0x10, 0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    garbage = encode::finish_payload(std::mem::take(&mut garbage));
    assert_eq!(
        restore_payload(&garbage, &Limits::default()),
        Err(PayloadError::BadData)
    );
}

#[test]
fn every_truncated_or_flipped_payload_is_refused_without_panic() {
    let stream = crate::persistence::snapshot_stream::tests::sample_stream();
    let p = encode::dump_payload(&Value::Stream(Box::new(stream)), false);
    let body_len = p.len() - 10;
    for i in 0..body_len {
        for flip in [1u8, 0x80, 0xff] {
            let mut body = p[..body_len].to_vec();
            body[i] ^= flip;
            let _ = decode::payload(&body, &Limits::default());
        }
        let _ = decode::payload(&p[..i], &Limits::default());
    }
}

/// An RDB version 6 file as Redis 3.x/4.x wrote them: an aux field, SELECTDB, an expiry in
/// seconds, a sorted set with text scores, a zipmap hash, a ziplist list, an intset, a
/// plain list, and the CRC-64.
#[test]
fn legacy_file_encodings_load() {
    fn s(out: &mut Vec<u8>, b: &[u8]) {
        encode::len(out, b.len() as u64);
        out.extend_from_slice(b);
    }
    let mut f = b"REDIS0006".to_vec();
    f.push(0xFA);
    s(&mut f, b"redis-ver");
    s(&mut f, b"3.2.0");
    f.extend_from_slice(&[0xFE, 0x02]);
    // Expiry in seconds, far in the future, then a string.
    f.push(0xFD);
    f.extend_from_slice(&4_000_000_000u32.to_le_bytes());
    f.push(types::STRING);
    s(&mut f, b"exp");
    s(&mut f, b"v");
    // ZSET with text scores: "1.5", +inf (254).
    f.push(types::ZSET);
    s(&mut f, b"z");
    f.push(2);
    s(&mut f, b"a");
    f.push(3);
    f.extend_from_slice(b"1.5");
    s(&mut f, b"b");
    f.push(254);
    // A zipmap hash {f: v, g: ww} (zmlen, then len key len free value).
    f.push(types::HASH_ZIPMAP);
    s(&mut f, b"hz");
    s(
        &mut f,
        &[2, 1, b'f', 1, 0, b'v', 1, b'g', 2, 1, b'w', b'w', 0, 0xFF],
    );
    // A ziplist list ["a", 7].
    let mut zl = vec![0u8; 10];
    zl.extend_from_slice(&[0, 0x01, b'a']);
    let tail = zl.len();
    zl.extend_from_slice(&[3, 0xF8]);
    zl.push(0xFF);
    let total = zl.len() as u32;
    zl[..4].copy_from_slice(&total.to_le_bytes());
    zl[4..8].copy_from_slice(&(tail as u32).to_le_bytes());
    zl[8..10].copy_from_slice(&2u16.to_le_bytes());
    f.push(types::LIST_ZIPLIST);
    s(&mut f, b"lz");
    s(&mut f, &zl);
    f.push(types::SET_INTSET);
    s(&mut f, b"is");
    s(&mut f, &legacy::build_intset(&[-5, 10]));
    f.push(types::LIST);
    s(&mut f, b"l");
    f.push(1);
    s(&mut f, b"only");
    f.push(0xFF);
    let crc = crc64(&f);
    f.extend_from_slice(&crc.to_le_bytes());
    let mut store = crate::store::Store::new(16);
    let loaded = file::load(&f[..], None, &mut store, 0).unwrap();
    assert_eq!(loaded.keys, 6);
    let db = store.db(2);
    assert_eq!(db.deadline(b"exp"), Some(4_000_000_000_000));
    let Some(Value::ZSet(z)) = db.get(b"z") else {
        panic!("zset")
    };
    assert_eq!(z.score(b"a"), Some(1.5));
    assert_eq!(z.score(b"b"), Some(f64::INFINITY));
    let Some(Value::Hash(h)) = db.get(b"hz") else {
        panic!("hash")
    };
    assert_eq!(h.get(b"g"), Some(&b"ww"[..]));
    let Some(Value::List(l)) = db.get(b"lz") else {
        panic!("list")
    };
    assert_eq!(l.items, [b"a".to_vec(), b"7".to_vec()]);
    assert_eq!(db.get(b"is").unwrap().encoding(), "intset");
    // A flipped byte is caught by the checksum; a module aux record is refused by name.
    let mut bad = f.clone();
    bad[20] ^= 1;
    assert!(file::load(&bad[..], None, &mut crate::store::Store::new(16), 0).is_err());
    let mut module = b"REDIS0009\xf7\x05".to_vec();
    module.push(0xFF);
    let err = file::load(&module[..], None, &mut crate::store::Store::new(16), 0).unwrap_err();
    assert!(err.what.contains("module"), "{err}");
}
