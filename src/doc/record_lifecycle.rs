//! A record's life: made, deleted (marked, [`DELETED_FIELD`]), listed
//! among the deleted, restored, made again in place — each as the viewer
//! sees the record, on the object they see (a change they mask may have
//! made it again, or marked or restored it).

use super::error::am;
use super::{DELETED_FIELD, DocError, Documents, Viewer, collection_id, name_fits};
use automerge::{ObjType, ReadDoc, ScalarValue};

impl Documents {
    /// Creates an empty record (no-op if `viewer` sees it shown). A
    /// deleted record of that name is replaced by a new one: the maker's
    /// own object (a name claim reads a person's record as their changes
    /// alone), and the deleted one can no longer be restored.
    pub fn create_record(
        &mut self,
        collection: &str,
        record: &str,
        viewer: &Viewer<'_>,
    ) -> Result<(), DocError> {
        name_fits(record)?;
        let doc = self.doc_to_edit(collection, record)?;
        if doc.seen_by(viewer, record) != Some(true) {
            doc.put_object_key(&automerge::ROOT, record, ObjType::Map)?;
        }
        Ok(())
    }

    /// Deletes a record: it is no longer shown, and everything in it —
    /// with the edits others make to it meanwhile — is kept for
    /// [`restore_record`](Self::restore_record) (it is marked deleted,
    /// [`DELETED_FIELD`], not removed: removing the record's object would
    /// lose every edit made to it concurrently, for good).
    ///
    /// What counts is what `viewer` sees: a record deleted by someone the
    /// viewer masks is shown to them, and they can delete it in their own
    /// name.
    pub fn delete_record(
        &mut self,
        collection: &str,
        record: &str,
        viewer: &Viewer<'_>,
    ) -> Result<(), DocError> {
        let doc = self.doc_to_edit(collection, record)?;
        if doc.seen_by(viewer, record) != Some(true) {
            return Err(DocError::NoRecord(record.to_owned()));
        }
        let obj = doc.record_object_seen(viewer, record)?;
        if doc.is_deleted(&obj) {
            // A mark the viewer masks: Automerge writes nothing for `true`
            // over `true`, so `false` is put over it first. Each put names
            // the one before as its predecessor: whoever later restores
            // over mine supersedes the masked mark too, also for those who
            // mask me (a removal, then a put with none, broke that chain).
            doc.put_key(&obj, DELETED_FIELD, ScalarValue::Boolean(false))?;
        }
        doc.put_key(&obj, DELETED_FIELD, ScalarValue::Boolean(true))
    }

    /// The records of `collection` marked deleted as `viewer` reads it
    /// (a record whose maker the viewer masks is not there to restore; a
    /// mark the viewer masks does not count), by name.
    pub fn deleted_records(&mut self, collection: &str, viewer: &Viewer<'_>) -> Vec<String> {
        let Some(doc) = self.docs.get_mut(&collection_id(collection)) else {
            return Vec::new();
        };
        doc.read_as(
            viewer,
            |doc| doc.direct_reading().deleted.iter().cloned().collect(),
            |view| view.deleted.clone(),
        )
    }

    /// Shows a deleted record again, as it is now: its fields, with the
    /// edits made to it since it was deleted.
    ///
    /// What counts is what `viewer` sees: a record brought back by someone
    /// the viewer masks is deleted to them, and they can bring it back in
    /// their own name.
    pub fn restore_record(
        &mut self,
        collection: &str,
        record: &str,
        viewer: &Viewer<'_>,
    ) -> Result<(), DocError> {
        let doc = self.doc_to_edit(collection, record)?;
        match doc.seen_by(viewer, record) {
            None => return Err(DocError::NoRecord(record.to_owned())),
            Some(true) => return Err(DocError::NotDeleted(record.to_owned())),
            Some(false) => {}
        }
        let obj = doc.record_object_seen(viewer, record)?;
        let masked = doc.any_masked(viewer);
        doc.delete_key(&obj, DELETED_FIELD)?;
        if masked {
            // The mark the viewer sees may have been superseded by a
            // change they mask (a restore, or a restore and a delete
            // again): a removal of mine then supersedes nothing they see,
            // while a value of mine does, as the latest of the values
            // written (anything but `true` shows the record).
            doc.put_key(&obj, DELETED_FIELD, ScalarValue::Boolean(false))?;
        }
        Ok(())
    }

    /// Makes a deleted record shown and empty again, in place: the mark
    /// removed as by [`restore_record`](Self::restore_record), each text
    /// emptied, every other field removed. Unlike
    /// [`create_record`](Self::create_record) over a deleted record (a new
    /// object, which nothing typed into the old one reaches), what someone
    /// typed into it without having seen this — offline, say — still lands
    /// in it: their characters stay in the emptied text, and a value they
    /// set stays over the removal.
    pub fn create_record_again(
        &mut self,
        collection: &str,
        record: &str,
        viewer: &Viewer<'_>,
    ) -> Result<(), DocError> {
        self.restore_record(collection, record, viewer)?;
        let doc = self.doc_to_edit(collection, record)?;
        let obj = doc.record_object_seen(viewer, record)?;
        let fields: Vec<String> = doc.doc.keys(&obj).filter(|f| f != DELETED_FIELD).collect();
        for field in fields {
            match doc.doc.get(&obj, &field).map_err(am)? {
                Some((automerge::Value::Object(ObjType::Text), text)) => {
                    let len = doc.doc.length(&text);
                    doc.splice_in_parts(&text, 0, len, "")?;
                }
                _ => doc.delete_key(&obj, &field)?,
            }
        }
        Ok(())
    }
}
