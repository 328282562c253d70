//! Documents: records and collaborative text, and committing edits.

use super::{JsNode, count, event_ids, key, scalar, string};
use crate::errors::{JsResult, invalid};
use crate::{record_objects, types};
use wasm_bindgen::prelude::*;

/// Deleted records `deletedRecords` lists at most: a page shows a few, and
/// a collection with more deleted records than that has them restored by
/// name (`restoreRecord`).
const MAX_DELETED_LISTED: usize = 1_000;

#[wasm_bindgen(js_class = TrustfoldNode)]
impl JsNode {
    /// Every record of a collection, as this node's policy sees it, by
    /// name. A record that reads as at the last read of the same
    /// collection is the same object (frozen); the array is new each time.
    #[wasm_bindgen(unchecked_return_type = "DocRecord[]")]
    pub fn records(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
    ) -> JsResult<JsValue> {
        let collection = string(&collection, "collection")?;
        let view = self.node.node().replica_mut().collection(&collection);
        let array = self.kept_records.borrow_mut().array(&collection, &view)?;
        Ok(array.into())
    }

    /// One record, or `null`.
    #[wasm_bindgen(unchecked_return_type = "DocRecord | null")]
    pub fn record(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> JsResult<JsValue> {
        let collection = string(&collection, "collection")?;
        let id = string(&id, "id")?;
        let record = self.node.node().replica_mut().record(&collection, &id);
        record_objects::record(&id, record.as_ref())
    }

    /// One record as `author`'s own changes make it (among those this
    /// node's view includes), or `null`: what only its subject may say,
    /// such as a person's name in the record named by their key.
    #[wasm_bindgen(js_name = recordBy, unchecked_return_type = "DocRecord | null")]
    pub fn record_by(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] author: JsValue,
    ) -> JsResult<JsValue> {
        let (collection, id) = (string(&collection, "collection")?, string(&id, "id")?);
        let author = key(&author, "author")?;
        let record = self
            .node
            .node()
            .replica_mut()
            .record_by(&collection, &id, &author);
        record_objects::record(&id, record.as_ref())
    }

    /// Every record of `collection` named by a key, as that key's owner
    /// wrote it — counted even when this node bans them (a ban does not
    /// make the page forget what someone is called), not when an exclusion
    /// this node follows leaves the change out: `[{ author, record }]`.
    #[wasm_bindgen(js_name = selfClaims, unchecked_return_type = "Array<{ author: string, record: DocRecord }>")]
    pub fn self_claims(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
    ) -> JsResult<JsValue> {
        let collection = string(&collection, "collection")?;
        let claims = self.node.node().replica_mut().self_claims(&collection);
        let out: Vec<types::SelfClaim> = claims
            .iter()
            .map(|(author, record)| types::SelfClaim {
                author: author.to_hex(),
                record: types::record(&author.to_hex(), record),
            })
            .collect();
        let array = types::to_js(&out)?;
        for (i, (_, record)) in claims.iter().enumerate() {
            let claim = js_sys::Reflect::get_u32(&array, i as u32)?;
            record_objects::mend(&js_sys::Reflect::get(&claim, &"record".into())?, record)?;
        }
        Ok(array)
    }

    /// Who changed a record, when and which fields, oldest first:
    /// `[{ event, author, time, made, deleted, restored, fields, counted, why }]`
    /// (`made`, `deleted`, `restored`: the edit made, deleted or restored the record; `counted`:
    /// it counts in this node's view, and if not, `why`; `event`: to act on
    /// the edit, as `exclude(event, reason)`).
    #[wasm_bindgen(js_name = recordHistory, unchecked_return_type = "RecordEdit[]")]
    pub fn record_history(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> JsResult<JsValue> {
        let (collection, id) = (string(&collection, "collection")?, string(&id, "id")?);
        let history = self
            .node
            .node()
            .replica_mut()
            .record_history(&collection, &id);
        let out: Vec<types::RecordEdit> = history.iter().map(types::record_edit).collect();
        types::to_js(&out)
    }

    /// The edits of `collection` that do not count in this node's view,
    /// each with its record and why (`[{ record, event, author, time, made,
    /// deleted, restored, fields, why }]`): what a page tells its owner when a record
    /// changes through someone else's exclusion or ban.
    #[wasm_bindgen(js_name = uncountedEdits, unchecked_return_type = "UncountedEdit[]")]
    pub fn uncounted_edits(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
    ) -> JsResult<JsValue> {
        let collection = string(&collection, "collection")?;
        let edits = self.node.node().replica_mut().uncounted_edits(&collection);
        let out: Vec<types::EditOfRecord> = edits.iter().map(types::edit_of_record).collect();
        types::to_js(&out)
    }

    /// The edits of `collection` that the events `events` made (ids as a
    /// comparison gives them), each with its record, the fields it touched
    /// and whether it counts (`[{ record, event, author, time, made,
    /// deleted, restored, fields, counted, why }]`): how a page names an edit two
    /// views disagree on. An event that is no edit of the collection, or
    /// unknown here, gives nothing; one that touched several records, one
    /// for each.
    #[wasm_bindgen(js_name = editsAmong, unchecked_return_type = "EditOfRecord[]")]
    pub fn edits_among(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string[]")] events: JsValue,
    ) -> JsResult<JsValue> {
        let collection = string(&collection, "collection")?;
        let events = event_ids(&events, "events")?;
        let edits = self
            .node
            .node()
            .replica_mut()
            .edits_among(&collection, &events);
        let out: Vec<types::EditOfRecord> = edits.iter().map(types::edit_of_record).collect();
        types::to_js(&out)
    }

    /// Every value a field holds, the winner first, each with who wrote it
    /// (`[{ value, author }]`): which version of a conflict is whose.
    #[wasm_bindgen(js_name = fieldWriters, unchecked_return_type = "Array<{ value: FieldValue, author: string }>")]
    pub fn field_writers(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] field: JsValue,
    ) -> JsResult<JsValue> {
        let collection = string(&collection, "collection")?;
        let (id, field) = (string(&id, "id")?, string(&field, "field")?);
        let writers = self
            .node
            .node()
            .replica_mut()
            .field_writers(&collection, &id, &field);
        let out: Vec<types::FieldWriter> = writers
            .iter()
            .map(|(value, author)| types::field_writer(value, author))
            .collect();
        types::to_js(&out)
    }

    fn edit(
        &self,
        edit: impl FnOnce(&mut trustfold::Replica) -> Result<(), trustfold::Error>,
    ) -> JsResult<()> {
        Ok(self.node.edit(edit)?)
    }

    /// Creates an empty record (committed shortly, or by `commit()`).
    #[wasm_bindgen(js_name = createRecord)]
    pub fn create_record(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> JsResult<()> {
        let (collection, id) = (string(&collection, "collection")?, string(&id, "id")?);
        self.edit(|r| r.create_record(&collection, &id))
    }

    /// Deletes a record.
    #[wasm_bindgen(js_name = deleteRecord)]
    pub fn delete_record(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> JsResult<()> {
        let (collection, id) = (string(&collection, "collection")?, string(&id, "id")?);
        self.edit(|r| r.delete_record(&collection, &id))
    }

    /// The names of the deleted records of `collection` this node does not
    /// show, sorted (at most 1,000): what `restoreRecord` brings back.
    #[wasm_bindgen(js_name = deletedRecords, unchecked_return_type = "string[]")]
    pub fn deleted_records(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
    ) -> JsResult<JsValue> {
        let collection = string(&collection, "collection")?;
        let mut names = self.node.node().replica_mut().deleted_records(&collection);
        names.truncate(MAX_DELETED_LISTED);
        types::to_js(&names)
    }

    /// Shows a deleted record again, as it is now: with the edits made to
    /// it since it was deleted (`DOCUMENT_ERROR` if there is no such
    /// record, or it is shown).
    #[wasm_bindgen(js_name = restoreRecord)]
    pub fn restore_record(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> JsResult<()> {
        let (collection, id) = (string(&collection, "collection")?, string(&id, "id")?);
        self.edit(|r| r.restore_record(&collection, &id))
    }

    /// Makes a deleted record shown and empty again, in place: its texts
    /// emptied, its other fields removed. What someone typed into it
    /// without having seen this (offline) still lands in it, where
    /// `createRecord` over a deleted record makes a new one that nothing
    /// typed into the old one reaches. `DOCUMENT_ERROR` if there is no
    /// such record, or it is shown.
    #[wasm_bindgen(js_name = createRecordAgain)]
    pub fn create_record_again(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> JsResult<()> {
        let (collection, id) = (string(&collection, "collection")?, string(&id, "id")?);
        self.edit(|r| r.create_record_again(&collection, &id))
    }

    /// Sets a field to a scalar value.
    #[wasm_bindgen(js_name = setField)]
    pub fn set_field(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] field: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Scalar")] value: JsValue,
    ) -> JsResult<()> {
        let (collection, id) = (string(&collection, "collection")?, string(&id, "id")?);
        let field = string(&field, "field")?;
        let value = scalar(&value)?;
        self.edit(|r| r.set_field(&collection, &id, &field, value))
    }

    /// Deletes a field.
    #[wasm_bindgen(js_name = deleteField)]
    pub fn delete_field(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] field: JsValue,
    ) -> JsResult<()> {
        let (collection, id) = (string(&collection, "collection")?, string(&id, "id")?);
        let field = string(&field, "field")?;
        self.edit(|r| r.delete_field(&collection, &id, &field))
    }

    /// Makes a field collaborative text holding `text`.
    #[wasm_bindgen(js_name = setText)]
    pub fn set_text(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] field: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
    ) -> JsResult<()> {
        let (collection, id) = (string(&collection, "collection")?, string(&id, "id")?);
        let (field, text) = (string(&field, "field")?, string(&text, "text")?);
        self.edit(|r| r.set_text(&collection, &id, &field, &text))
    }

    /// Replaces `deleteCount` UTF-16 units at `index` of a text field with
    /// `insert` (the positions of a JS string, as a textarea reports them).
    #[wasm_bindgen(js_name = spliceText)]
    #[allow(clippy::too_many_arguments)]
    pub fn splice_text(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] field: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] index: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number", js_name = "deleteCount")]
        delete_count: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] insert: JsValue,
    ) -> JsResult<()> {
        let (collection, id) = (string(&collection, "collection")?, string(&id, "id")?);
        let field = string(&field, "field")?;
        let index = usize::try_from(count(&index, "index")?)
            .map_err(|_| invalid("index is past the end of the text"))?;
        let delete_count = usize::try_from(count(&delete_count, "deleteCount")?)
            .map_err(|_| invalid("deleteCount is past the end of the text"))?;
        let insert = string(&insert, "insert")?;
        // The core counts UTF-16 units too: nothing of the text is read.
        self.edit(|r| r.splice_text(&collection, &id, &field, index, delete_count, &insert))
    }

    /// Document edits made on this node since it opened, committed or
    /// not: it only grows. With `syncStatus().known` it tells a page
    /// whether records may have changed since it last read them (an edit
    /// shows at once, before it is committed to the log).
    #[wasm_bindgen(js_name = editsMade)]
    pub fn edits_made(&self) -> f64 {
        self.node.node().replica().edits_made() as f64
    }

    /// Signs, stores and announces pending document edits now; resolves to
    /// the number of events written.
    pub async fn commit(&self) -> JsResult<u32> {
        Ok(self.node.commit().await? as u32)
    }
}
