//! The `Store` trait's backend-level methods, shared by both implementations.

use crate::StoreError;

pub(crate) fn migrate_error(e: sqlx::migrate::MigrateError) -> StoreError {
    match e {
        sqlx::migrate::MigrateError::Execute(inner) => StoreError::from(inner),
        other => StoreError::Corrupt(format!("migrations: {other}")),
    }
}

macro_rules! store_impl {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::Store for $store {
            fn backend(&self) -> $crate::Backend {
                Self::BACKEND
            }

            async fn ping(&self) -> Result<(), $crate::StoreError> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn migrate(&self) -> Result<$crate::SchemaStatus, $crate::StoreError> {
                self.run_migrations().await?;
                self.applied_version().await
            }

            async fn schema_status(&self) -> Result<$crate::SchemaStatus, $crate::StoreError> {
                self.applied_version().await
            }

            async fn describe_columns(&self) -> Result<Vec<(String, String)>, $crate::StoreError> {
                self.columns().await
            }

            fn pool_stats(&self) -> $crate::PoolStats {
                self.stats()
            }

            async fn refresh_statistics(&self, full: bool) -> Result<(), $crate::StoreError> {
                self.analyze(full).await
            }

            async fn close(&self) {
                self.close_pools().await;
            }
        }
    };
}
pub(crate) use store_impl;
