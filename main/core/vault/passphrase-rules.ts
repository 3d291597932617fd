/** Shortest passphrase accepted for a new vault. */
export const PASSPHRASE_MIN_LENGTH = 8;

/** Passphrases a person may type at the prompt before the command gives up (as sudo). */
export const PASSPHRASE_TRIES = 3;
