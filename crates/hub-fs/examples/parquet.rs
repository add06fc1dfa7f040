//! Reads a Parquet file of a Hub repository with arrow-rs, through [`HfObjectStore`].
//!
//! ```text
//! cargo run -p hub-fs --features object-store --example parquet -- REPO PATH
//! cargo run -p hub-fs --features object-store --example parquet -- \
//!     datasets/ns/data@refs/convert/parquet default/train/0000.parquet
//! ```
//!
//! The `parquet` crate's async reader reads through an [`AsyncFileReader`]; [`HubParquetReader`]
//! is one over any `object_store::ObjectStore`, here our [`HfObjectStore`]. The reader asks for
//! the file size (one `head`), the footer and then only the column chunks it needs, each a range
//! request to the Hub: the file is never downloaded whole. (parquet 60 deprecates its own
//! `ParquetObjectReader` in favour of such a reader.) `HF_ENDPOINT` and `HF_TOKEN` are read from
//! the environment. Prints the schema, the number of rows and of record batches.
//!
//! `tests/tests/fs.rs` compiles this file as a module and calls [`read_parquet`] against a
//! hub-server, so the example cannot silently rot.

use std::ops::Range;
use std::sync::Arc;

use arrow_array::RecordBatch;
use bytes::Bytes;
use futures::future::BoxFuture;
use futures::{FutureExt, TryStreamExt};
use hub_core::HubClient;
use hub_fs::{HfFileSystem, HfObjectStore};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::ParquetRecordBatchStreamBuilder;
use parquet::arrow::arrow_reader::ArrowReaderOptions;
use parquet::arrow::async_reader::AsyncFileReader;
use parquet::errors::ParquetError;
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};

/// Errors of this example (Parquet, object store or Hub errors alike).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A Parquet file in an object store, read by ranges.
#[derive(Debug, Clone)]
pub struct HubParquetReader {
    store: Arc<dyn ObjectStore>,
    path: Path,
    size: u64,
}

impl HubParquetReader {
    /// Opens `path` in `store` (one `head` request, for the size the footer is found with).
    pub async fn open(store: Arc<dyn ObjectStore>, path: Path) -> object_store::Result<Self> {
        let size = store.head(&path).await?.size;
        Ok(HubParquetReader { store, path, size })
    }
}

fn external(e: object_store::Error) -> ParquetError {
    ParquetError::External(Box::new(e))
}

impl AsyncFileReader for HubParquetReader {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        async move {
            self.store
                .get_range(&self.path, range)
                .await
                .map_err(external)
        }
        .boxed()
    }

    fn get_byte_ranges(
        &mut self,
        ranges: Vec<Range<u64>>,
    ) -> BoxFuture<'_, parquet::errors::Result<Vec<Bytes>>> {
        // One call, so the store may fetch the column chunks concurrently.
        async move {
            self.store
                .get_ranges(&self.path, &ranges)
                .await
                .map_err(external)
        }
        .boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        async move {
            let size = self.size;
            let metadata = ParquetMetaDataReader::new()
                .with_arrow_reader_options(options)
                .load_and_finish(self, size)
                .await?;
            Ok(Arc::new(metadata))
        }
        .boxed()
    }
}

/// All record batches of the Parquet file `path` in `store`.
pub async fn read_parquet(
    store: Arc<dyn ObjectStore>,
    path: &str,
) -> Result<Vec<RecordBatch>, BoxError> {
    let reader = HubParquetReader::open(store, Path::parse(path)?).await?;
    let stream = ParquetRecordBatchStreamBuilder::new(reader)
        .await?
        .build()?;
    Ok(stream.try_collect().await?)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [repo, path] = args.as_slice() else {
        return Err(
            "usage: parquet REPO PATH (e.g. datasets/ns/name@main data/train.parquet)".into(),
        );
    };
    let fs = HfFileSystem::new(HubClient::from_env()?);
    let store: Arc<dyn ObjectStore> = Arc::new(HfObjectStore::new(fs, repo).await?);
    let batches = read_parquet(store, path).await?;
    if let Some(first) = batches.first() {
        println!("schema: {:?}", first.schema());
    }
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    println!("{rows} rows in {} record batches", batches.len());
    Ok(())
}
