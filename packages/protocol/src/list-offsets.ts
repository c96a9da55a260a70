// ListOffsets' special timestamps, as Kafka's ListOffsetsRequest defines them.
/** The latest offset: the high watermark for consumers, the log end offset for replicas. */
export const LATEST_TIMESTAMP = -1;
/** The earliest offset: the log start offset. */
export const EARLIEST_TIMESTAMP = -2;
