//! Two replicas reconciling through `sync::Session`s in lockstep rounds:
//! every frame of round k answers a frame of round k − 1. Shared by the
//! sync tests and the reconciliation benchmark (`#[path]`-included).

use trustfold::Replica;
use trustfold::sync::{Framer, Message, Session};

/// Is this frame an acknowledgement (which asks nothing of the other side)?
fn is_ack(frame: &[u8]) -> bool {
    matches!(
        Framer::default().decode(frame),
        Ok(Some(Message::Ack { .. }))
    )
}

/// Runs rounds until neither side has anything to send; returns how many
/// one-way rounds it took (Hello both ways, then the answers: 2 = one
/// round trip). The acknowledgements of the last answers, which nothing
/// follows, make no round of their own.
pub fn reconcile(a: &mut Replica, sa: &mut Session, b: &mut Replica, sb: &mut Session) -> usize {
    let mut to_b = sa.hello(a.log(), [1; 16]);
    let mut to_a = sb.hello(b.log(), [2; 16]);
    let mut rounds = 0;
    while !(to_a.is_empty() && to_b.is_empty()) {
        if !to_a.iter().chain(&to_b).all(|f| is_ack(f)) {
            rounds += 1;
        }
        let (mut next_a, mut next_b) = (Vec::new(), Vec::new());
        for (frames, session, replica, next) in [
            (&to_b, &mut *sb, &mut *b, &mut next_a),
            (&to_a, &mut *sa, &mut *a, &mut next_b),
        ] {
            for frame in frames {
                let incoming = session.receive(replica.log(), frame).unwrap();
                next.extend(incoming.reply);
                for event in incoming.events {
                    replica.ingest(event.bytes()).unwrap();
                }
                next.extend(session.after_ingest(replica.log()));
            }
        }
        (to_a, to_b) = (next_a, next_b);
    }
    rounds
}
