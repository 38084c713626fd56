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
