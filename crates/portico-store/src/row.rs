//! Backend-neutral row decoding: one trait with the few column readers the decoders need,
//! implemented for SQLite and PostgreSQL rows, so that each entity decoder is written once.

use crate::{StoreError, ts::Ts};
use sqlx::Row;
use time::OffsetDateTime;
use uuid::Uuid;

/// Column readers shared by both backends.
pub(crate) trait RowExt {
    fn uuid(&self, col: &str) -> Result<Uuid, StoreError>;
    fn text(&self, col: &str) -> Result<String, StoreError>;
    fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError>;
    fn flag(&self, col: &str) -> Result<bool, StoreError>;
    fn int(&self, col: &str) -> Result<i64, StoreError>;
    fn ts(&self, col: &str) -> Result<OffsetDateTime, StoreError>;
    fn opt_ts(&self, col: &str) -> Result<Option<OffsetDateTime>, StoreError>;

    /// Decodes a JSON text column.
    fn json<T: serde::de::DeserializeOwned>(&self, col: &str) -> Result<T, StoreError> {
        let raw = self.text(col)?;
        serde_json::from_str(&raw).map_err(|e| StoreError::corrupt(format!("column {col}: {e}")))
    }
}

macro_rules! impl_row_ext {
    ($row:ty) => {
        impl RowExt for $row {
            fn uuid(&self, col: &str) -> Result<Uuid, StoreError> {
                Ok(self.try_get::<Uuid, _>(col)?)
            }
            fn text(&self, col: &str) -> Result<String, StoreError> {
                Ok(self.try_get::<String, _>(col)?)
            }
            fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError> {
                Ok(self.try_get::<Option<String>, _>(col)?)
            }
            fn flag(&self, col: &str) -> Result<bool, StoreError> {
                Ok(self.try_get::<bool, _>(col)?)
            }
            fn int(&self, col: &str) -> Result<i64, StoreError> {
                Ok(self.try_get::<i64, _>(col)?)
            }
            fn ts(&self, col: &str) -> Result<OffsetDateTime, StoreError> {
                Ok(self.try_get::<Ts, _>(col)?.0)
            }
            fn opt_ts(&self, col: &str) -> Result<Option<OffsetDateTime>, StoreError> {
                Ok(self.try_get::<Option<Ts>, _>(col)?.map(|t| t.0))
            }
        }
    };
}

impl_row_ext!(sqlx::sqlite::SqliteRow);
impl_row_ext!(sqlx::postgres::PgRow);

/// Serializes a value for a JSON text column.
pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::corrupt(format!("cannot encode JSON: {e}")))
}
