export declare function sourceHash(root: string): string;
export declare const SOURCE_HASH_FILE: string;
