//! What the browser transports' tests share.

use futures_util::FutureExt;
use trustfold::transport::{Transport, TransportError};

/// Sends `frame` to `peer` up to `max` times without yielding (so the
/// browser cannot drain meanwhile), each send done at once — it panics if
/// one waits: the error of the first send refused, if any.
pub fn send_until_refused<T: Transport>(
    transport: &T,
    peer: &str,
    frame: &[u8],
    max: usize,
) -> Option<TransportError> {
    for _ in 0..max {
        match transport.send(peer, frame.to_vec()).now_or_never() {
            Some(Ok(())) => {}
            Some(Err(e)) => return Some(e),
            None => panic!("the send waited"),
        }
    }
    None
}
