//! The bound on frames a link holds received and not yet taken in by the
//! node, one rule for both transports (WebRTC and the relay link): a frame
//! over the protocol's 64 KiB, or one that would take the link past its
//! backlog, means the peer sends more than it was asked for (an honest
//! peer stays within the sync protocol's 4 MiB window) and the link goes.

use trustfold::sync::MAX_FRAME;
use trustfold::transport::TransportError;

/// Why a frame of `len` bytes may not be held on a link that holds `held`
/// bytes unread and at most `backlog`; `None` if it may.
pub(crate) fn refused(len: usize, held: usize, backlog: usize) -> Option<TransportError> {
    if len > MAX_FRAME {
        Some(TransportError::TooLarge(len))
    } else if held + len > backlog {
        Some(TransportError::LinkBacklog(backlog))
    } else {
        None
    }
}
