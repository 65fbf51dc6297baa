//! The ids of native functions and methods (what a `Native` value calls).

macro_rules! natives {
    ($($id:ident = $name:literal,)*) => {
        /// Every native function and method.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[allow(missing_docs)]
        pub enum NativeId { $($id,)* }
        impl NativeId {
            /// The Python-visible name.
            #[must_use]
            pub fn name(self) -> &'static str {
                match self { $(NativeId::$id => $name,)* }
            }
        }
    };
}

natives! {
    Print = "print", Len = "len", Range = "range", Repr = "repr", Isinstance = "isinstance",
    Issubclass = "issubclass", Hasattr = "hasattr", Getattr = "getattr", Setattr = "setattr",
    Sum = "sum", Min = "min", Max = "max", Abs = "abs", Sorted = "sorted", Enumerate = "enumerate",
    Zip = "zip", Reversed = "reversed", Iter = "iter", Next = "next", Id = "id", Any = "any",
    All = "all", Round = "round", Divmod = "divmod", Super = "super", Callable = "callable",
    Format = "format", Ord = "ord", Chr = "chr", Hash = "hash", BuildClass = "__build_class__",
    ObjectInit = "__init__",
    ListAppend = "append", ListExtend = "extend", ListPop = "pop", ListInsert = "insert",
    ListRemove = "remove", ListIndex = "index", ListCount = "count", ListSort = "sort",
    ListReverse = "reverse", ListClear = "clear", ListCopy = "copy",
    DictGet = "get", DictKeys = "keys", DictValues = "values", DictItems = "items", DictPop = "pop",
    DictSetdefault = "setdefault", DictUpdate = "update",
    StrJoin = "join", StrSplit = "split", StrStrip = "strip", StrLstrip = "lstrip", StrRstrip = "rstrip",
    StrUpper = "upper", StrLower = "lower", StrReplace = "replace", StrStartswith = "startswith",
    StrEndswith = "endswith", StrFormat = "format", StrFind = "find", StrCount = "count",
    StrIsdigit = "isdigit", StrLjust = "ljust", StrRjust = "rjust", StrCenter = "center", StrTitle = "title",
    SetAdd = "add", SetRemove = "remove", SetDiscard = "discard", SetUpdate = "update",
    LockAcquire = "acquire", LockRelease = "release", LockLocked = "locked", LockEnter = "__enter__",
    LockExit = "__exit__",
    ThreadAllocateLock = "allocate_lock", ThreadRLock = "RLock", ThreadNewIdent = "new_ident",
    ThreadDefaultName = "default_name", ThreadStart = "start", ThreadJoin = "join",
    ThreadExcepthook = "excepthook", ThreadIsAlive = "is_alive", ThreadCurrent = "current",
    ThreadGetIdent = "get_ident", ThreadActiveCount = "active_count", ThreadIsOwned = "is_owned",
    ThreadReleaseSave = "release_save", ThreadAcquireRestore = "acquire_restore",
    ThreadRegisterMain = "register_main",
    TimeSleep = "sleep", TimeTime = "time", TimePerfCounter = "perf_counter", TimeMonotonic = "monotonic",
    SysSetSwitchInterval = "setswitchinterval", SysGetSwitchInterval = "getswitchinterval", SysExit = "exit",
    SysSetCheckInterval = "setcheckinterval", SysGetCheckInterval = "getcheckinterval",
    RandomRandom = "random", RandomRandint = "randint", RandomChoice = "choice", RandomUniform = "uniform",
    RandomShuffle = "shuffle", RandomSeed = "seed",
    HttpGet = "http_get", Refuse = "refuse", PropertySetter = "setter",
    GeneratorReturned = "_returned",
}

impl NativeId {
    /// Whether this native is a method that takes its receiver as first argument.
    #[must_use]
    pub fn is_method(self) -> bool {
        matches!(
            self,
            NativeId::LockAcquire
                | NativeId::LockRelease
                | NativeId::LockLocked
                | NativeId::LockEnter
                | NativeId::LockExit
        )
    }
}
