export declare const root: string
export declare function sourceFingerprint(): string
export declare function ensureBuilt(options?: { force?: boolean }): boolean
