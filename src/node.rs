//! The node: the one place that does I/O.
//!
//! A [`Node`] owns a [`Replica`] and a [`Store`]. Opening it loads (or
//! creates) the identity and the policy, and loads every stored event —
//! verifying each again, skipping and reporting damaged records. Every new
//! event, local or received, is written to the store before the call
//! returns; a local event is written *before* it is applied, so a failed
//! write leaves both the store and the state as they were.
//!
//! Randomness comes from the caller (`fresh_secret`), like everything else
//! the platform provides.

use crate::error::Error;
use crate::event::{Body, Event, Identity};
use crate::log::Insertion;
use crate::policy::Policy;
use crate::replica::Replica;
use crate::store::{Store, StoreError};
use thiserror::Error;

const IDENTITY: &str = "identity";
const POLICY: &str = "policy";

/// Why a node operation failed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum NodeError {
    /// The store failed; nothing was lost.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The event or edit was refused.
    #[error(transparent)]
    Core(#[from] Error),
    /// Stored metadata does not decode.
    #[error("stored {0} is damaged")]
    DamagedMeta(&'static str),
}

/// What opening a node found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// Events loaded and applied.
    pub events: usize,
    /// Stored records skipped, each with what is wrong.
    pub skipped: Vec<String>,
    /// Whether the identity was created now.
    pub new_identity: bool,
}

/// A replica persisted in a store. See the [module docs](self).
pub struct Node<S: Store> {
    store: S,
    replica: Replica,
    identity: Identity,
    /// Applied events whose write failed; retried with the next write.
    unsaved: Vec<Event>,
}

impl<S: Store> Node<S> {
    /// Opens the node kept in `store`, creating an identity from
    /// `fresh_secret` if the store has none.
    pub async fn open(
        store: S,
        fresh_secret: impl FnOnce() -> [u8; 32],
    ) -> Result<(Node<S>, OpenReport), NodeError> {
        let mut report = OpenReport::default();
        let identity = match store.get_meta(IDENTITY).await? {
            Some(secret) => Identity::from_secret(
                secret
                    .try_into()
                    .map_err(|_| NodeError::DamagedMeta(IDENTITY))?,
            ),
            None => {
                let identity = Identity::from_secret(fresh_secret());
                store.put_meta(IDENTITY, &identity.secret()).await?;
                report.new_identity = true;
                identity
            }
        };
        let policy = match store.get_meta(POLICY).await? {
            Some(bytes) => {
                postcard::from_bytes(&bytes).map_err(|_| NodeError::DamagedMeta(POLICY))?
            }
            None => Policy::new(identity.public_key()),
        };
        let mut replica = Replica::new(policy);
        let loaded = store.load_events().await?;
        report.skipped = loaded.corrupt;
        for (id, bytes) in loaded.events {
            // Stored bytes are checked again: a store is outside the node.
            match Event::from_bytes(&bytes) {
                Ok(event) => match replica.insert(event) {
                    Ok(_) => {}
                    Err(e) => report.skipped.push(format!("{id:?}: {e}")),
                },
                Err(e) => report.skipped.push(format!("{id:?}: {e}")),
            }
        }
        report.events = replica.log().len();
        let pending = replica.log().pending_len();
        if pending > 0 {
            report.skipped.push(format!(
                "{pending} stored events wait for parents that are not stored"
            ));
        }
        Ok((
            Node {
                store,
                replica,
                identity,
                unsaved: Vec::new(),
            },
            report,
        ))
    }

    /// The replica (log, view, documents).
    pub fn replica(&self) -> &Replica {
        &self.replica
    }

    /// The replica, for reads that need `&mut` (documents) and for local
    /// edits (committed with [`commit`](Self::commit)).
    pub fn replica_mut(&mut self) -> &mut Replica {
        &mut self.replica
    }

    /// The node's identity.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Closes the node, giving back its store.
    pub fn into_store(self) -> S {
        self.store
    }

    /// Events applied but not yet written (a write failed).
    pub fn unsaved(&self) -> usize {
        self.unsaved.len()
    }

    /// Writes `events` together with any left unsaved by an earlier failure.
    async fn save(&mut self, events: &[&Event]) -> Result<(), StoreError> {
        let records: Vec<_> = self
            .unsaved
            .iter()
            .chain(events.iter().copied())
            .map(|e| (e.id(), e.bytes()))
            .collect();
        self.store.put_events(&records).await?;
        self.unsaved.clear();
        Ok(())
    }

    /// Signs a new event, stores it, then applies it.
    pub async fn publish(&mut self, time: u64, body: Body) -> Result<Event, NodeError> {
        let draft = self
            .replica
            .draft(&self.identity.public_key(), time, body)?;
        let event = self.identity.sign(draft);
        self.replica.log().admits(&event).map_err(Error::from)?;
        self.save(&[&event]).await?;
        self.replica.insert(event.clone()).map_err(Error::from)?;
        Ok(event)
    }

    /// Takes in an event received from a peer: verifies, stores, applies.
    pub async fn receive(&mut self, bytes: &[u8]) -> Result<Insertion, NodeError> {
        let event = Event::from_bytes(bytes).map_err(Error::from)?;
        self.replica.log().admits(&event).map_err(Error::from)?;
        self.save(&[&event]).await?;
        Ok(self.replica.insert(event).map_err(Error::from)?)
    }

    /// Commits pending document edits: each resulting event is stored, then applied.
    pub async fn commit(&mut self, time: u64) -> Result<Vec<Event>, NodeError> {
        let events = self.replica.commit(&self.identity, time)?;
        // Applied before stored here (a change enters its document when its
        // event is applied); if the write fails they are kept and written
        // with the next successful write.
        if let Err(e) = self.save(&events.iter().collect::<Vec<_>>()).await {
            self.unsaved.extend(events);
            return Err(e.into());
        }
        Ok(events)
    }

    /// Changes and stores the policy.
    pub async fn set_policy(&mut self, policy: Policy) -> Result<(), NodeError> {
        let bytes = postcard::to_allocvec(&policy).unwrap_or_default();
        self.store.put_meta(POLICY, &bytes).await?;
        self.replica.set_policy(policy);
        Ok(())
    }
}
