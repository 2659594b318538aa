//! D2: eight concurrent writers append while a reader tails by
//! global_position; the reader must see every committed event exactly once,
//! in commit order, with no gaps.

use std::sync::Arc;
use std::time::Duration;

use perfledger_domain::aggregates::Person;
use perfledger_domain::catalog::{ActivityData, PersonUpserted};
use perfledger_domain::{parse_envelope, Activity};
use perfledger_projections::LogFollower;
use perfledger_store::log::read_after;
use perfledger_store::Ingestor;
use serde_json::json;

const BULK_WRITERS: usize = 6;
const CQRS_WRITERS: usize = 2;
const BULK_EVENTS_PER_WRITER: usize = 3_300;
const CQRS_EVENTS_PER_WRITER: usize = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_never_make_a_tailing_reader_skip_an_event() {
    let db = perfledger_tests::fresh_database().await;
    let pool = db.pool.clone();

    let reader = {
        let pool = pool.clone();
        tokio::spawn(async move {
            let mut follower = LogFollower::connect(&pool).await.unwrap();
            let mut seen: Vec<i64> = Vec::new();
            let expected = BULK_WRITERS * BULK_EVENTS_PER_WRITER + CQRS_WRITERS * CQRS_EVENTS_PER_WRITER;
            let mut stalled_at = tokio::time::Instant::now() + Duration::from_secs(60);
            while seen.len() < expected {
                let position = seen.last().copied().unwrap_or(0);
                let batch = read_after(&pool, position, 700).await.unwrap();
                if batch.is_empty() {
                    assert!(tokio::time::Instant::now() < stalled_at, "the reader stalled");
                    follower.wait(Duration::from_millis(50)).await.unwrap();
                    continue;
                }
                seen.extend(batch.iter().map(|e| e.global_position));
                stalled_at = tokio::time::Instant::now() + Duration::from_secs(60);
            }
            // Nothing beyond what was committed.
            assert!(read_after(&pool, *seen.last().unwrap(), 700).await.unwrap().is_empty());
            seen
        })
    };

    let mut writers = Vec::new();
    for writer in 0..BULK_WRITERS {
        let ingestor = Ingestor::new(pool.clone(), "stress");
        writers.push(tokio::spawn(async move {
            let mut written = 0;
            let mut batch_size = 1 + writer * 37 % 200;
            while written < BULK_EVENTS_PER_WRITER {
                let n = batch_size.min(BULK_EVENTS_PER_WRITER - written);
                let items: Vec<_> = (written..written + n)
                    .map(|i| {
                        parse_envelope(
                            &json!({
                                "event_id": format!("w{writer}-{i}"),
                                "type": "ticket.opened",
                                "occurred_at": "2026-11-02T09:00:00Z",
                                "data": {"ticket_id": format!("W{writer}-T{i}")}
                            })
                            .to_string(),
                        )
                    })
                    .collect();
                let report = ingestor.ingest(&items).await.unwrap();
                assert_eq!(report.accepted, n, "{report:?}");
                written += n;
                batch_size = 1 + (batch_size * 7 + writer) % 200;
            }
        }));
    }
    // Writers through cqrs-es and postgres-es: single-row inserts numbered by
    // the log's trigger.
    let cqrs = Arc::new(postgres_es::postgres_cqrs::<Person>(pool.clone(), vec![], ()));
    for writer in 0..CQRS_WRITERS {
        let cqrs = cqrs.clone();
        writers.push(tokio::spawn(async move {
            for i in 0..CQRS_EVENTS_PER_WRITER {
                let person_id = uuid::Uuid::new_v4();
                let activity = Activity {
                    event_id: format!("c{writer}-{i}"),
                    occurred_at: "2026-11-02T09:00:00Z".parse().unwrap(),
                    data: ActivityData::PersonUpserted(PersonUpserted {
                        person_id,
                        display_name: format!("Person {writer}-{i}"),
                        title: None,
                        is_active: true,
                    }),
                };
                cqrs.execute(&person_id.to_string(), activity).await.unwrap();
            }
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }

    let seen = reader.await.unwrap();
    let total = (BULK_WRITERS * BULK_EVENTS_PER_WRITER + CQRS_WRITERS * CQRS_EVENTS_PER_WRITER) as i64;
    assert!(total >= 20_000);
    let expected: Vec<i64> = (1..=total).collect();
    assert_eq!(seen.len(), expected.len(), "the reader saw a different number of events than were committed");
    assert!(seen == expected, "the reader saw positions out of order, twice or with gaps");
    let head = perfledger_store::log::head(&pool).await.unwrap();
    assert_eq!(head, total);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&pool).await.unwrap();
    assert_eq!(rows, total);
}

#[tokio::test]
async fn an_append_wakes_the_follower_before_its_poll_interval() {
    let db = perfledger_tests::fresh_database().await;
    let pool = db.pool.clone();
    let mut follower = LogFollower::connect(&pool).await.unwrap();

    // Nothing appended: the wait ends after the poll interval.
    let started = tokio::time::Instant::now();
    follower.wait(Duration::from_millis(100)).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(100));

    // An append's NOTIFY ends a much longer wait at once.
    let ingestor = Ingestor::new(pool.clone(), "follow");
    let appended = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let item = parse_envelope(
            &json!({
                "event_id": "follow-1",
                "type": "ticket.opened",
                "occurred_at": "2026-11-02T09:00:00Z",
                "data": {"ticket_id": "F-1"}
            })
            .to_string(),
        );
        assert_eq!(ingestor.ingest(&[item]).await.unwrap().accepted, 1);
    });
    let started = tokio::time::Instant::now();
    tokio::time::timeout(Duration::from_secs(30), follower.wait(Duration::from_secs(600)))
        .await
        .expect("the notification did not wake the follower")
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(30));
    appended.await.unwrap();
    assert_eq!(read_after(&pool, 0, 10).await.unwrap().len(), 1);
}
