import { errorCatalog, type ExceptionName } from "../errors/catalog.js";
import { KmsError } from "../errors/kms-error.js";

/** A refusal of the AWS protocol layer (framing, SigV4); its exceptions are in the one catalog. */
export class AwsProtocolError extends KmsError {}

/** The HTTP status AWS sends an exception with. */
export function errorStatus(exception: ExceptionName): number {
  return errorCatalog[exception].httpStatus;
}

/** The AWS JSON 1.1 error body: `{"__type": "<ExceptionName>", "message": "..."}`. */
export function errorBody(exception: string, message: string): { __type: string; message: string } {
  return { __type: exception, message };
}

/** The status and body of an AWS JSON 1.1 error answer, for the HTTP layer. */
export function errorResponse(exception: ExceptionName, message: string): { status: number; body: { __type: string; message: string } } {
  return { status: errorStatus(exception), body: errorBody(exception, message) };
}
