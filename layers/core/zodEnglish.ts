import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * zod/mini carries no messages of its own: this sets English ones, exactly those of full zod, for the whole process.
 * Every module with a zod/mini schema imports it, so errors read the same whichever schema loads first.
 */
z.config(en());
