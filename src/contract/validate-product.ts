/**
 * The rules of product records: product ingestion needs only product_id
 * (profile_id and user_id are optional and never create a profile); every
 * catalog field that is set is checked.
 */
import { ProductAvailability, type ProductRecord } from '../gen/tributary/ingest/v1/record';
import type { ValidationLimits } from './limits';
import { Reason } from './reasons';
import { checkEnum, checkLabel, checkLength, checkNumber, checkUri, report, type Violations } from './field-checks';
import { checkStruct } from './struct-checks';

const CURRENCY = /^[A-Z]{3}$/;
const MAX_RATING = 5;

/** Checks a product record's identifiers and catalog fields. */
export function checkProduct(product: ProductRecord, limits: ValidationLimits, out: Violations): void {
  const { maxIdLength, maxNameLength, maxTextLength } = limits;
  checkLabel(product.productId, 'product.product_id', 'for every product record', maxIdLength, out);
  checkLabel(product.profileId, 'product.profile_id', undefined, maxIdLength, out);
  checkLabel(product.userId, 'product.user_id', undefined, maxIdLength, out);
  checkLength(product.title, 'product.title', maxTextLength, out);
  checkLength(product.description, 'product.description', maxTextLength, out);
  checkLength(product.category, 'product.category', maxTextLength, out);
  checkLabel(product.brand, 'product.brand', undefined, maxNameLength, out);
  checkUri(product.url, 'product.url', maxTextLength, out);
  checkUri(product.imageLink, 'product.image_link', maxTextLength, out);
  checkNumber(product.price, 'product.price', 0, Number.MAX_VALUE, out);
  checkNumber(product.rating, 'product.rating', 0, MAX_RATING, out);
  if (product.currency !== '' && !CURRENCY.test(product.currency)) {
    report(out, 'product.currency', Reason.INVALID_FORMAT, 'product.currency must be an ISO 4217 code of three upper-case letters, such as EUR.');
  }
  checkEnum(product.availability, ProductAvailability, 'product.availability', undefined, out);
  if (product.tags.length > limits.maxTags) {
    report(out, 'product.tags', Reason.TOO_MANY_ITEMS, `product.tags may have at most ${limits.maxTags} tags; it has ${product.tags.length}.`);
  } else {
    product.tags.forEach((tag, i) => checkLabel(tag, `product.tags[${i}]`, 'in every tag', maxNameLength, out));
  }
  checkStruct(product.data, 'product.data', limits, out);
}
