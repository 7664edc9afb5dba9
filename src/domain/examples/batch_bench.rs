//! Benchmark: the batcher's cost to plan the flush of 10,000 queued operations.
//!
//! Run with `cargo run --release -p domain --example batch_bench`. 10,000 operations over 2,000
//! tickets (comments and updates interleaved, so each ticket needs several requests) are queued in
//! one window; the flush is planned and every request acknowledged until the queue is empty.

use std::time::Instant;

use domain::batch::{BatchConfig, Batcher, Op, Outcome, Work};
use domain::crm::TicketStatus;

fn main() {
    const OPS: u64 = 10_000;
    const TICKETS: u64 = 2_000;
    let config = BatchConfig {
        frequency_s: 10,
        batch_add_comment: true,
        batch_ticket_update: true,
    };
    let mut b = Batcher::new(config);
    for i in 0..OPS {
        let ticket = i % TICKETS;
        let op = if i % 2 == 0 {
            Op::comment(format!("op-{i}"), ticket, format!("comment {i}"))
        } else {
            Op::update(format!("op-{i}"), ticket, Some(TicketStatus::Open), Some(7))
        };
        b.enqueue(op, 0);
    }
    let start = Instant::now();
    let (mut requests, mut tickets) = (0usize, 0usize);
    while let Some(Work::Send(r)) = b.next_work(10_000) {
        requests += 1;
        tickets += r.tickets.len();
        b.complete(r.id, Outcome::Done, 10_000);
    }
    let elapsed = start.elapsed();
    assert_eq!(b.pending(), 0, "every operation planned");
    println!(
        "batch plan {OPS} ops: {:.2} ms ({requests} requests, {tickets} ticket updates)",
        elapsed.as_secs_f64() * 1_000.0
    );
}
