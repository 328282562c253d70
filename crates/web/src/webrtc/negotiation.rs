//! Opening a link: the signed exchange through the signalling server.
//! The offerer asks for the member's nonce (`ask` → `nonce`), signs its
//! offer over it and sends a nonce of its own (`reply`), which the answer
//! is signed over; each side accepts a description only if it covers an
//! unused nonce it issued to that sender (see [`trustfold::signal`]).

use super::mesh::now_ms;
use super::{Inner, OFFER_TIMEOUT_MS, get};
use std::rc::Rc;
use trustfold::signal::{
    Nonce, PeerSignal, SignedDescription, nonce_hex, parse_nonce, sdp_fingerprint,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{
    RtcDataChannelInit, RtcIceCandidateInit, RtcOfferOptions, RtcSdpType, RtcSessionDescriptionInit,
};

/// Why a signal was not acted on: nothing, as no one reads it
/// ([`Inner::from_peer`] only leaves the link in the making unopened).
/// Messages here cost the package bytes and told no one anything.
const REFUSED: JsValue = JsValue::NULL;

/// An SDP a browser made: a session description without one is a broken
/// browser, and the link is not opened.
fn sdp_of(description: &JsValue) -> Result<String, JsValue> {
    get(description, "sdp").as_string().ok_or(REFUSED)
}

impl Inner {
    /// A nonce no one can guess or repeat.
    fn fresh_nonce(&self) -> Nonce {
        self.fresh_nonces.borrow_mut().next_array()
    }

    /// Starts offering to `peer`: asks for its nonce first; the offer
    /// follows when the nonce comes (`try_offer`). `alone`: this page
    /// holds no link, and says so (a full member makes room for it).
    pub(super) fn offer(self: &Rc<Self>, peer: u64, alone: bool) {
        self.asked.borrow_mut().insert(peer);
        self.signal(peer, PeerSignal::Ask { alone });
    }

    async fn try_offer(self: &Rc<Self>, peer: u64, nonce: Nonce) -> Result<(), JsValue> {
        let me = self.me.get().ok_or(REFUSED)?;
        let existing = self.links.borrow().get(&peer).cloned();
        let (link, offer) = match existing {
            // Its offer to this page crossed ours and is being answered, or
            // it offered the open link (then it is the one that restarts
            // it): ours is not made (two would replace each other's link).
            Some(link) if !link.offerer => return Ok(()),
            // An open link is never replaced: this is an ICE restart, a new
            // offer on the same connection (even if its ICE recovered by
            // itself since it was asked for).
            Some(link) if link.open.get() => {
                let options = RtcOfferOptions::new();
                options.set_ice_restart(true);
                let offer = JsFuture::from(link.pc.create_offer_with_rtc_offer_options(&options));
                (link, offer.await?)
            }
            // A new connection only for an offer the page is making now
            // (a nonce for a restart whose link has gone since, or a
            // forged one, makes none: nothing would time it out).
            _ if !self.attempt_of.borrow().contains_key(&peer) => return Ok(()),
            _ => {
                let link = self.new_link(peer, true)?;
                let init = RtcDataChannelInit::new();
                init.set_ordered(true);
                let channel = link
                    .pc
                    .create_data_channel_with_data_channel_dict("trustfold", &init);
                self.wire_channel(peer, &link, channel);
                let offer = JsFuture::from(link.pc.create_offer()).await?;
                (link, offer)
            }
        };
        let sdp = sdp_of(&offer)?;
        let description = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
        description.set_sdp(&sdp);
        JsFuture::from(link.pc.set_local_description(&description)).await?;
        if !self.holds(peer, &link) {
            // Given up meanwhile (its offer crossed ours, or timed out):
            // an offer for a connection that closes would be answered for
            // nothing.
            return Ok(());
        }
        // The answer must cover a nonce of mine, issued to this peer.
        let reply = self.fresh_nonce();
        self.nonces.borrow_mut().issue(peer, reply);
        link.reply.set(Some(reply));
        self.send_description(me, peer, &sdp, &nonce, Some(&reply));
        Ok(())
    }

    /// Sends a description signed over the recipient's `nonce`; an offer
    /// carries the nonce the answer must cover (`reply`).
    fn send_description(
        &self,
        me: u64,
        peer: u64,
        sdp: &str,
        nonce: &Nonce,
        reply: Option<&Nonce>,
    ) {
        let kind = if reply.is_some() { "offer" } else { "answer" };
        let signed =
            SignedDescription::sign(&self.identity, &self.room, me, peer, kind, sdp, nonce);
        // In a private network, proof of the invite, bound to this
        // description (its signed message).
        let proof = self.network.as_ref().and_then(|keys| {
            let message = signed.signed_message(&self.room, me, peer)?;
            Some(keys.link_proof(&message))
        });
        let data = match reply {
            Some(reply) => PeerSignal::offer(signed, reply, proof),
            None => PeerSignal::answer(signed, proof),
        };
        self.signal(peer, data);
    }

    pub(super) fn from_peer(self: &Rc<Self>, from: u64, data: PeerSignal) {
        if self.closed.borrow().contains(&from) {
            // Closed for good (it sent something invalid, or flooded).
            return;
        }
        let inner = self.clone();
        spawn_local(async move {
            // A description that does not verify, or any other failure,
            // leaves a link in the making unopened (the peer may offer
            // again). An open link stays: what the server relays is not
            // proof the peer sent it, so a forged message cannot cut it.
            if inner.try_from_peer(from, data).await.is_err() && !inner.is_open(from) {
                inner.links.borrow_mut().remove(&from);
            }
        });
    }

    async fn try_from_peer(self: &Rc<Self>, from: u64, data: PeerSignal) -> Result<(), JsValue> {
        let me = self.me.get().ok_or(REFUSED)?;
        match data {
            PeerSignal::Ask { alone } => self.nonce_for(from, alone),
            PeerSignal::Busy => {
                // To an ask, or to an offer the member could not take after
                // all (then the connection made for it goes): another
                // member is asked, and this one is not held to have left
                // the offer unanswered.
                let offered = self.offer_in_making(from);
                if offered {
                    self.links.borrow_mut().remove(&from);
                }
                let asked = self.asked.borrow_mut().remove(&from);
                // To an ICE restart's ask, the link stays as it is: a
                // `busy` the server relays is no proof, and the link's own
                // timers give it up if its network does not come back.
                if (asked || offered) && !self.is_open(from) {
                    if offered {
                        // It gave a nonce and refused the offer, which
                        // spent a connection: like an offer left
                        // unanswered, no more offers to it this hour (else
                        // a member answering every offer `busy` could
                        // spend the budget a connection a second).
                        self.offered.borrow_mut().spend_all(&from, now_ms());
                    } else {
                        self.offered.borrow_mut().give_back(&from);
                    }
                    self.busy(from);
                }
                Ok(())
            }
            PeerSignal::Nonce { nonce } => {
                // Only from a member this side asked, once.
                if !self.asked.borrow_mut().remove(&from) {
                    return Ok(());
                }
                let nonce = parse_nonce(&nonce).ok_or(REFUSED)?;
                self.try_offer(from, nonce).await
            }
            PeerSignal::Candidate {
                candidate,
                sdp_mid,
                sdp_m_line_index,
            } => {
                // A candidate the connection cannot take (one for an offer
                // of the member's this page ignored, say) is dropped; it
                // gives up no link.
                let Some(link) = self.links.borrow().get(&from).cloned() else {
                    return Ok(());
                };
                let init = RtcIceCandidateInit::new(&candidate);
                init.set_sdp_mid(sdp_mid.as_deref());
                init.set_sdp_m_line_index(sdp_m_line_index);
                let _ = JsFuture::from(
                    link.pc
                        .add_ice_candidate_with_opt_rtc_ice_candidate_init(Some(&init)),
                )
                .await;
                Ok(())
            }
            // An offer or answer that does not parse or verify is ignored,
            // not an error: what the server relays is no proof, and must
            // not give up a link in making (its own timer does).
            PeerSignal::Offer { ref reply, .. } => {
                let (Some(reply), Some(signed)) = (parse_nonce(reply), data.signed()) else {
                    return Ok(());
                };
                if !self.member(me, from, &signed, data.proof()) {
                    return Ok(());
                }
                self.answer(me, from, signed, reply).await
            }
            PeerSignal::Answer { .. } => {
                let Some(signed) = data.signed() else {
                    return Ok(());
                };
                // Only to this page's own offer on this very connection
                // (signed over the nonce that offer carried: not a late
                // answer to an earlier one), by the key and, on an open
                // link (an ICE restart), the certificate that hold it.
                let Some(link) = self.links.borrow().get(&from).cloned() else {
                    return Ok(());
                };
                let covers =
                    parse_nonce(&signed.nonce).is_some_and(|n| link.reply.get() == Some(n));
                if !link.offerer || !covers || !self.member(me, from, &signed, data.proof()) {
                    return Ok(());
                }
                let Ok(key) = self.verified(me, from, &signed) else {
                    return Ok(());
                };
                let fingerprint = sdp_fingerprint(&signed.sdp).map(str::to_owned);
                if link.open.get()
                    && (link.key.get() != Some(key)
                        || *link.remote_fingerprint.borrow() != fingerprint)
                {
                    return Ok(());
                }
                link.key.set(Some(key));
                let answer = RtcSessionDescriptionInit::new(RtcSdpType::Answer);
                answer.set_sdp(&signed.sdp);
                JsFuture::from(link.pc.set_remote_description(&answer)).await?;
                *link.remote_fingerprint.borrow_mut() = fingerprint;
                Ok(())
            }
        }
    }

    /// A member wants to offer: hand it a fresh nonce to sign over (unless
    /// this side has no room for another link, and cannot make room for
    /// a member that holds none: then room is promised, and made when its
    /// offer verifies, [`Inner::make_room`]).
    fn nonce_for(self: &Rc<Self>, from: u64, alone: bool) -> Result<(), JsValue> {
        // Only an open link is restarted; a half-open one gives no nonce.
        let linked = self.is_open(from);
        if !linked && self.links.borrow().contains_key(&from) {
            // A link in making already: this page's offer to it (made on
            // its nonce, so it answers that one) or its own offer being
            // answered. Another would replace it: the ask goes unanswered.
            return Ok(());
        }
        // Both asked each other: the lower id's ask goes on, the higher
        // id's is refused without a word; the higher id drops its own ask
        // and answers (perfect negotiation's tie-break, by connection id).
        let crossing = !linked && self.asked.borrow().contains(&from);
        if crossing && self.me.get().is_some_and(|me| me < from) {
            return Ok(());
        }
        let room = self.mesh.borrow().accepts(&from) && self.answers_left() > 0;
        let promise =
            !linked && !room && alone && self.room_can_be_made(from) && self.promise_room(from);
        if !linked && !room && !promise || !self.asks.borrow_mut().take(&from, now_ms()) {
            // Said at once, so the asker tries another member now rather
            // than when its offer times out — once a minute per member:
            // asks cannot make this page flood the server with answers.
            if self.may_say_busy(from) {
                self.signal(from, PeerSignal::Busy);
            }
            return Ok(());
        }
        if crossing {
            // Only now: refused, this page's own ask stays (and times out).
            self.asked.borrow_mut().remove(&from);
        }
        let nonce = self.fresh_nonce();
        self.nonces.borrow_mut().issue(from, nonce);
        self.signal(
            from,
            PeerSignal::Nonce {
                nonce: nonce_hex(&nonce),
            },
        );
        Ok(())
    }

    /// In a private network, whether the sender proved it holds the invite
    /// for this very description (checked before its nonce is consumed, so
    /// a stranger in the room cannot spend the nonces of members).
    fn member(
        &self,
        me: u64,
        from: u64,
        signed: &SignedDescription,
        proof: Option<[u8; 32]>,
    ) -> bool {
        let Some(keys) = &self.network else {
            return true;
        };
        let Some(message) = signed.signed_message(&self.room, from, me) else {
            return false;
        };
        proof.is_some_and(|proof| keys.proves_link(&message, &proof))
    }

    /// The sender's key, if `signed` is signed by it for this room, from it
    /// to me, over a nonce I issued to it and have not seen used (which
    /// this consumes).
    fn verified(
        &self,
        me: u64,
        from: u64,
        signed: &SignedDescription,
    ) -> Result<trustfold::PublicKey, JsValue> {
        signed
            .verify_fresh(&self.room, from, me, &mut self.nonces.borrow_mut())
            .map_err(|_| REFUSED)
    }

    /// Answers a verified offer, signed over the offerer's `reply` nonce.
    async fn answer(
        self: &Rc<Self>,
        me: u64,
        from: u64,
        signed: SignedDescription,
        reply: Nonce,
    ) -> Result<(), JsValue> {
        let Ok(key) = self.verified(me, from, &signed) else {
            return Ok(());
        };
        let existing = self.links.borrow().get(&from).cloned();
        let fingerprint = sdp_fingerprint(&signed.sdp).map(str::to_owned);
        let link = match existing {
            // An open link is never taken by another key (a hostile
            // server's own, under this member's connection id).
            Some(link) if link.open.get() && link.key.get() != Some(key) => return Ok(()),
            // On the open link's own connection (same certificate): an
            // ICE restart, made by the side that offered the link.
            Some(link) if link.open.get() && *link.remote_fingerprint.borrow() == fingerprint => {
                if link.offerer {
                    return Ok(());
                }
                link
            }
            // This page's offer to it crossed its offer: the lower id's
            // goes on (the member answers it), the higher id's gives way.
            Some(link)
                if !link.open.get()
                    && link.offerer
                    && self.me.get().is_some_and(|me| me < from) =>
            {
                return Ok(());
            }
            // Otherwise a new connection: on an open link, its end is gone
            // (it gave the link up after its restart timeout, or its
            // network failed first), and it says so signed, over a nonce
            // of this page's, so this end goes too and its offer is
            // answered at once rather than after this end's own timeout.
            existing => {
                if existing.is_some_and(|l| l.open.get()) {
                    self.drop_link(from);
                    self.free_place(from);
                    // A restart's ask of this page's to it is moot.
                    self.asked.borrow_mut().remove(&from);
                }
                let room = self.mesh.borrow().accepts(&from);
                let make_room = !room && self.take_promise(from) && self.room_can_be_made(from);
                // One member cannot spend this page's connections.
                if !room && !make_room
                    || self.answers_left() == 0
                    || !self.answered.borrow_mut().take(&from, now_ms())
                {
                    // A verified offer refused is said so (it covers a
                    // nonce this page gave): its maker asks someone else
                    // rather than hold this page to have gone silent. An
                    // offer of this page's to it, crossed, goes too (it
                    // ignores that one).
                    if self.offer_in_making(from) {
                        self.links.borrow_mut().remove(&from);
                    }
                    self.signal(from, PeerSignal::Busy);
                    return Ok(());
                }
                if make_room {
                    self.make_room(from);
                }
                // Its offer answers this page's ask to it, if any.
                self.asked.borrow_mut().remove(&from);
                let link = self.new_link(from, false)?;
                link.key.set(Some(key));
                // An answered link not open in time is given up, and its
                // place (kept, if room was made) freed.
                let weak_link = Rc::downgrade(&link);
                self.after(
                    OFFER_TIMEOUT_MS,
                    Box::new(move |inner| {
                        let Some(link) = weak_link.upgrade() else {
                            return;
                        };
                        if inner.holds(from, &link) && !link.open.get() {
                            inner.links.borrow_mut().remove(&from);
                            inner.free_place(from);
                        }
                    }),
                );
                link
            }
        };
        let offer = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
        offer.set_sdp(&signed.sdp);
        JsFuture::from(link.pc.set_remote_description(&offer)).await?;
        *link.remote_fingerprint.borrow_mut() = fingerprint;
        let answer = JsFuture::from(link.pc.create_answer()).await?;
        let sdp = sdp_of(&answer)?;
        let description = RtcSessionDescriptionInit::new(RtcSdpType::Answer);
        description.set_sdp(&sdp);
        JsFuture::from(link.pc.set_local_description(&description)).await?;
        if !self.holds(from, &link) {
            return Ok(());
        }
        self.send_description(me, from, &sdp, &reply, None);
        Ok(())
    }
}
