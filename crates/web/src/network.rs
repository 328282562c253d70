//! Which network a browser node is for, and where that network lives in
//! this browser: its IndexedDB database, its tab channel and writer lock,
//! and the room the signalling server sees.
//!
//! An open network is its name: the name is the room, and anyone who
//! knows it reads everything. A private network is its invite: the room is
//! the network's identity (the admission public key, which says nothing of
//! the name or the secret), and only holders of the invite get a link or
//! can read a body.

use std::rc::Rc;
use trustfold::invite::{Invite, NetworkKeys};

/// See the [module docs](self).
#[derive(Clone, Debug)]
pub enum NetworkRef {
    /// A network anyone who knows `0` can read.
    Open(String),
    /// A network only holders of the invite can read or join.
    Private(Invite),
}

impl NetworkRef {
    /// The room of the signalling server: the name, or the private
    /// network's identity in hex.
    pub fn room(&self) -> String {
        match self {
            NetworkRef::Open(name) => name.clone(),
            NetworkRef::Private(invite) => invite.keys().room(),
        }
    }

    /// The name people see.
    pub fn name(&self) -> &str {
        match self {
            NetworkRef::Open(name) => name,
            NetworkRef::Private(invite) => invite.name(),
        }
    }

    /// The IndexedDB database (also the tab channel's name). Open networks
    /// keep the name they always had, so existing databases open; a private
    /// network's is named by its identity (never by its name, which two
    /// networks may share), after a space, which an open network's
    /// `trustfold-` prefix never has at that place.
    pub fn database(&self) -> String {
        match self {
            NetworkRef::Open(name) => format!("trustfold-{name}"),
            NetworkRef::Private(invite) => format!("trustfold {}", invite.keys().room()),
        }
    }

    /// The Web Lock that orders this network's writers among this origin's tabs.
    pub fn writer_lock(&self) -> String {
        format!("{}-writer", self.database())
    }

    /// The invite of a private network.
    pub fn invite(&self) -> Option<&Invite> {
        match self {
            NetworkRef::Open(_) => None,
            NetworkRef::Private(invite) => Some(invite),
        }
    }

    /// The keys a WebRTC transport proves membership with.
    pub fn link_keys(&self) -> Option<Rc<NetworkKeys>> {
        self.invite().map(|invite| Rc::new(invite.keys()))
    }
}
