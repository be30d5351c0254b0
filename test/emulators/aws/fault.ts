// An AWS service error as the JSON 1.1 protocol reports it: HTTP status, `__type` code and message.
export class AwsFault extends Error {
  readonly status: number;
  readonly type: string;
  constructor(type: string, message: string, status = 400) {
    super(message);
    this.name = 'AwsFault';
    this.type = type;
    this.status = status;
  }
}

// KMS/SSM both answer malformed input with this code (the Coral framework's model validation).
export const validation = (message: string): AwsFault => new AwsFault('ValidationException', message);
