/**
 * Request bodies for the write scenarios: donations of radios from the US
 * government to the mission. Both parties and the item type are registered by
 * the seeded history (seeds/mission-history.ts), the donor stands outside the
 * books, and no body carries an `id`, so the server assigns a UUIDv7 and every
 * request records new events that pass the rules.
 */

export const DONOR = 'us-government';
export const RECIPIENT = 'mss';
export const ITEM_TYPE = 'radio';

export interface DonationInput {
  type: 'DonationReceived';
  occurredAt: string;
  data: {
    donor: string;
    recipient: string;
    lines: { itemType: string; quantity: { value: number } }[];
    location: string;
  };
  source: { document: string; reference: string };
}

/** A donation in the past (the rules refuse business time in the future). */
export function donation(variant: number): DonationInput {
  const day = String(1 + (variant % 28)).padStart(2, '0');
  return {
    type: 'DonationReceived',
    occurredAt: `2025-03-${day}`,
    data: {
      donor: DONOR,
      recipient: RECIPIENT,
      lines: [{ itemType: ITEM_TYPE, quantity: { value: 1 + (variant % 7) } }],
      location: 'Port-au-Prince',
    },
    source: { document: 'bench', reference: `variant ${variant}` },
  };
}

/** `count` distinct single-event bodies. */
export function singleBodies(count: number): string[] {
  return Array.from({ length: count }, (_, i) => JSON.stringify(donation(i)));
}

/** `count` distinct batch bodies of `size` events each. */
export function batchBodies(count: number, size: number): string[] {
  return Array.from({ length: count }, (_, b) =>
    JSON.stringify(Array.from({ length: size }, (_, i) => donation(b * size + i))),
  );
}
