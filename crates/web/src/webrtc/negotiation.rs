//! Opening a link: the signed exchange through the signalling server.
//! The offerer asks for the member's nonce (`ask` → `nonce`), signs its
//! offer over it and sends a nonce of its own (`reply`), which the answer
//! is signed over; each side accepts a description only if it covers an
//! unused nonce it issued to that sender (see [`trustfold::signal`]).

use super::{Inner, MAX_LINKS, get, object};
use std::rc::Rc;
use trustfold::signal::{Nonce, SignedDescription, nonce_hex, parse_nonce};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{RtcDataChannelInit, RtcIceCandidateInit, RtcSdpType, RtcSessionDescriptionInit};

/// A fresh random nonce (the browser's `crypto.getRandomValues`).
fn fresh_nonce() -> Nonce {
    let mut nonce = Nonce::default();
    getrandom::fill(&mut nonce).expect("the browser's crypto.getRandomValues");
    nonce
}

impl Inner {
    /// Starts offering to `peer`: asks for its nonce first; the offer
    /// follows when the nonce comes (`try_offer`).
    pub(super) fn offer(self: &Rc<Self>, peer: u64) {
        if self.links.borrow().len() >= MAX_LINKS {
            return;
        }
        self.asked.borrow_mut().insert(peer);
        self.signal(peer, object(&[("kind", "ask".into())]));
    }

    async fn try_offer(self: &Rc<Self>, peer: u64, nonce: Nonce) -> Result<(), JsValue> {
        let me = self.me.get().ok_or("not joined")?;
        if self.links.borrow().len() >= MAX_LINKS {
            return Ok(());
        }
        let link = self.new_link(peer, true)?;
        let init = RtcDataChannelInit::new();
        init.set_ordered(true);
        let channel = link
            .pc
            .create_data_channel_with_data_channel_dict("trustfold", &init);
        self.wire_channel(peer, &link, channel);
        let offer = JsFuture::from(link.pc.create_offer()).await?;
        let sdp = get(&offer, "sdp").as_string().unwrap_or_default();
        let description = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
        description.set_sdp(&sdp);
        JsFuture::from(link.pc.set_local_description(&description)).await?;
        // The answer must cover a nonce of mine, issued to this peer.
        let reply = fresh_nonce();
        self.nonces.borrow_mut().issue(peer, reply);
        self.send_description(me, peer, "offer", &sdp, &nonce, Some(&reply));
        Ok(())
    }

    /// Sends a description signed over the recipient's `nonce`; an offer
    /// carries the nonce the answer must cover (`reply`).
    fn send_description(
        &self,
        me: u64,
        peer: u64,
        kind: &str,
        sdp: &str,
        nonce: &Nonce,
        reply: Option<&Nonce>,
    ) {
        let signed =
            SignedDescription::sign(&self.identity, &self.room, me, peer, kind, sdp, nonce);
        let mut fields = vec![
            ("kind", JsValue::from(kind)),
            ("sdp", sdp.into()),
            ("nonce", signed.nonce.as_str().into()),
            ("key", signed.key.as_str().into()),
            ("signature", signed.signature.as_str().into()),
        ];
        if let Some(reply) = reply {
            fields.push(("reply", nonce_hex(reply).into()));
        }
        self.signal(peer, object(&fields));
    }

    pub(super) fn from_peer(self: &Rc<Self>, from: u64, data: &JsValue) {
        let inner = self.clone();
        let data = data.clone();
        spawn_local(async move {
            // A description that does not verify, or any other failure,
            // leaves the link unopened; the peer may offer again.
            if inner.try_from_peer(from, &data).await.is_err() {
                inner.links.borrow_mut().remove(&from);
            }
        });
    }

    async fn try_from_peer(self: &Rc<Self>, from: u64, data: &JsValue) -> Result<(), JsValue> {
        let me = self.me.get().ok_or("not joined")?;
        let kind = get(data, "kind").as_string().unwrap_or_default();
        if kind == "ask" {
            // A member wants to offer: hand it a fresh nonce to sign over
            // (unless this side has no room for another link).
            let linked = self.links.borrow().contains_key(&from);
            if self.links.borrow().len() >= MAX_LINKS && !linked {
                return Ok(());
            }
            let nonce = fresh_nonce();
            self.nonces.borrow_mut().issue(from, nonce);
            let data = object(&[
                ("kind", "nonce".into()),
                ("nonce", nonce_hex(&nonce).into()),
            ]);
            self.signal(from, data);
            return Ok(());
        }
        if kind == "nonce" {
            // Only from a member this side asked, once.
            if !self.asked.borrow_mut().remove(&from) {
                return Ok(());
            }
            let nonce = parse_nonce(&get(data, "nonce").as_string().unwrap_or_default())
                .ok_or("malformed nonce")?;
            return self.try_offer(from, nonce).await;
        }
        if kind == "candidate" {
            let link = self.links.borrow().get(&from).cloned().ok_or("no link")?;
            let candidate =
                RtcIceCandidateInit::new(&get(data, "candidate").as_string().unwrap_or_default());
            candidate.set_sdp_mid(get(data, "sdpMid").as_string().as_deref());
            candidate.set_sdp_m_line_index(get(data, "sdpMLineIndex").as_f64().map(|i| i as u16));
            JsFuture::from(
                link.pc
                    .add_ice_candidate_with_opt_rtc_ice_candidate_init(Some(&candidate)),
            )
            .await?;
            return Ok(());
        }
        let signed = SignedDescription {
            kind: kind.clone(),
            sdp: get(data, "sdp").as_string().unwrap_or_default(),
            nonce: get(data, "nonce").as_string().unwrap_or_default(),
            key: get(data, "key").as_string().unwrap_or_default(),
            signature: get(data, "signature").as_string().unwrap_or_default(),
        };
        // Signed by the sender for this room, from it to me, over a nonce I
        // issued to it and have not seen used (which this consumes).
        let key = signed
            .verify_fresh(&self.room, from, me, &mut self.nonces.borrow_mut())
            .map_err(|e| JsValue::from_str(&e.to_string()))?;
        match kind.as_str() {
            "offer" => {
                if self.links.borrow().len() >= MAX_LINKS {
                    return Ok(());
                }
                let reply = parse_nonce(&get(data, "reply").as_string().unwrap_or_default())
                    .ok_or("an offer without a reply nonce")?;
                let link = self.new_link(from, false)?;
                link.key.set(Some(key));
                let offer = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
                offer.set_sdp(&signed.sdp);
                JsFuture::from(link.pc.set_remote_description(&offer)).await?;
                let answer = JsFuture::from(link.pc.create_answer()).await?;
                let sdp = get(&answer, "sdp").as_string().unwrap_or_default();
                let description = RtcSessionDescriptionInit::new(RtcSdpType::Answer);
                description.set_sdp(&sdp);
                JsFuture::from(link.pc.set_local_description(&description)).await?;
                self.send_description(me, from, "answer", &sdp, &reply, None);
            }
            _ => {
                let link = self.links.borrow().get(&from).cloned().ok_or("no link")?;
                link.key.set(Some(key));
                let answer = RtcSessionDescriptionInit::new(RtcSdpType::Answer);
                answer.set_sdp(&signed.sdp);
                JsFuture::from(link.pc.set_remote_description(&answer)).await?;
            }
        }
        Ok(())
    }
}
