/** @sockbench/client: placeholder until its issue lands; see ../../../README.md. */
export const PACKAGE_NAME = '@sockbench/client';
