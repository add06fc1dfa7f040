//! Stream parsing throughput: bytes → SSE framing → typed chat chunks.
//!
//! Each "chunk" is one realistic `chat.completion.chunk` event (~260 bytes, as TGI sends them).
//! Reported as chunks per second; the per-chunk time is the latency the parser adds between a
//! network read and the item reaching the consumer.
#![allow(missing_docs, clippy::unwrap_used)]

use std::time::Duration;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures::StreamExt;
use hub_inference::sse::SseDecoder;
use hub_inference::stream::ChatCompletionStream;

const EVENT: &str = r#"data:{"id":"","object":"text_completion","created":1710439511,"model":"HuggingFaceH4/zephyr-7b-beta","system_fingerprint":"1.4.3-sha-e6bb3ff","choices":[{"index":0,"delta":{"role":"assistant","content":" learning"},"logprobs":null,"finish_reason":null}]}"#;

const N: usize = 1000;

fn body() -> Vec<u8> {
    let mut b = Vec::new();
    for _ in 0..N {
        b.extend_from_slice(EVENT.as_bytes());
        b.extend_from_slice(b"\n\n");
    }
    b.extend_from_slice(b"data: [DONE]\n\n");
    b
}

/// Splits the body into network chunks: one per event, or fixed-size pieces.
fn chunks(body: &[u8], size: Option<usize>) -> Vec<Bytes> {
    match size {
        Some(n) => body.chunks(n).map(Bytes::copy_from_slice).collect(),
        None => body
            .split_inclusive(|&b| b == b'\n')
            .collect::<Vec<_>>()
            .chunks(2)
            .map(|pair| Bytes::from(pair.concat()))
            .collect(),
    }
}

fn parse(chunks: &[Bytes]) -> usize {
    // The byte stream must be 'static, so it owns its chunks (cloning `Bytes` is a refcount bump).
    #[allow(clippy::unnecessary_to_owned)]
    let body = futures::stream::iter(chunks.to_vec().into_iter().map(Ok));
    let stream = ChatCompletionStream::new(Box::pin(body), "bench", None);
    futures::executor::block_on(stream.fold(0, |n, item| async move {
        assert!(item.unwrap().content().is_some());
        n + 1
    }))
}

fn bench(c: &mut Criterion) {
    let body = body();
    let mut group = c.benchmark_group("sse");
    group.throughput(Throughput::Elements(N as u64));
    group
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));

    let per_event = chunks(&body, None);
    assert_eq!(parse(&per_event), N);
    group.bench_function("chat_chunks/one_event_per_read", |b| {
        b.iter(|| parse(&per_event))
    });

    let small = chunks(&body, Some(64));
    assert_eq!(parse(&small), N);
    group.bench_function("chat_chunks/64_byte_reads", |b| b.iter(|| parse(&small)));

    // Baseline: serde_json alone on the same payloads, to show what framing adds on top.
    let payload = EVENT.strip_prefix("data:").unwrap().as_bytes();
    group.bench_function("serde_json_only", |b| {
        b.iter(|| {
            (0..N)
                .map(|_| {
                    let v: hub_inference::types::ChatCompletionStreamOutput =
                        serde_json::from_slice(payload).unwrap();
                    v.choices.len()
                })
                .sum::<usize>()
        })
    });

    group.bench_function("framing_only/one_event_per_read", |b| {
        b.iter(|| {
            let mut decoder = SseDecoder::new();
            let mut n = 0;
            for chunk in &per_event {
                decoder.push(chunk);
                while let Some(ev) = decoder.next_event() {
                    n += ev.len();
                }
            }
            n
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
