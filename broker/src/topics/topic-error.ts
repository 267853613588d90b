/** A topic change or lookup refused with a Kafka error code (the handler answers with it). */
export class TopicError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}
