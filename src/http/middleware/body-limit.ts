// Refuses request bodies over a byte limit with 413 payload_too_large before anything parses them.
import { bodyLimit } from "hono/body-limit";
import { AppError } from "../errors";

export function limitBody(maxBytes: number) {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new AppError("payload_too_large", `The request body exceeds ${maxBytes} bytes.`);
    },
  });
}
